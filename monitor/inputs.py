"""Reading posts from files given on the command line: plain text, JSON Lines, CSV or TSV.

Each row comes back with its line number and either its fields or an error, so one bad line is
reported and skipped while the rest are still read. A whole file is refused (``InputError``) when it
is larger than REPMON_MAX_INPUT_BYTES, is not UTF-8 text (a binary file), or is a CSV whose quoted
field never closes: reading on would turn it into posts nobody wrote.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from monitor.errors import InputError
from monitor.settings import current
from monitor.sources.payloads import PayloadError, parse_json

csv.field_size_limit(sys.maxsize)
LIMIT_SETTING = "REPMON_MAX_INPUT_BYTES"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Row:
    """One input item: where it came from, its fields, or what was wrong with it."""

    line: int
    fields: dict[str, object] = field(default_factory=dict)
    error: str | None = None


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}.get(suffix, "text")


def max_input_bytes() -> int:
    """REPMON_MAX_INPUT_BYTES (checked when the settings load: a whole number above 0)."""
    return current().max_input_bytes


def read_limited(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path`` ("-": standard input), reading at most ``limit`` (REPMON_MAX_INPUT_BYTES):
    a larger file, or an endless one such as /dev/zero, raises ``InputError``; so does an unreadable one."""
    limit = max_input_bytes() if limit is None else limit
    if str(path) == "-":
        return _read_at_most(sys.stdin.buffer, limit, path)
    try:
        with open(path, "rb") as stream:
            return _read_at_most(stream, limit, path)
    except FileNotFoundError:
        raise InputError(f"{path}: does not exist: check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file: name the files in it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}): check its permissions") from None


def _read_at_most(stream: BinaryIO, limit: int, path: Path) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(
            f"{path}: larger than {limit:,} bytes ({LIMIT_SETTING}): split it or raise the limit"
        )
    return data


def decode_text(raw: bytes, path: Path) -> str:
    """``raw`` as UTF-8 text (a leading byte-order mark dropped); a binary or otherwise non-UTF-8 file
    raises ``InputError`` naming the line, instead of becoming text full of replacement characters."""
    if (nul := raw.find(b"\x00")) >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise InputError(
            f"{path}:{line}: holds a NUL byte (byte {nul:,}): it is a binary or UTF-16 file, not text; "
            "give a UTF-8 text, JSON Lines or CSV file"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start:,}): "
            "save the file as UTF-8"
        ) from None


def no_posts(path: Path, why: str | None = None) -> InputError:
    """``path`` held no post at all (``why``: default, what its format leaves): named, with what to do,
    instead of an empty answer and exit 0 that look like success."""
    fmt = file_format(path)
    if why is None:
        why = {"csv": "only a header line", "tsv": "only a header line", "jsonl": "only blank lines"}.get(
            fmt, "it is empty"
        )
    need = {
        "csv": "a header line, then one post a row",
        "tsv": "a header line, then one post a row",
        "jsonl": "one JSON object a line",
    }.get(fmt, "one post a line")
    return InputError(f"{path}: holds no posts ({why}): check that it is the right file; it needs {need}")


def read_rows(path: Path, text_column: str = "text") -> Iterator[Row]:
    """Yield every row of ``path``; a row without ``text_column`` carries an error, not an exception.

    The file is read whole but at most REPMON_MAX_INPUT_BYTES; see the module's docstring for what
    refuses a whole file.
    """
    if str(path) != "-" and not path.exists():
        raise InputError(f"input file {path} does not exist: check the path given to --input")
    fmt = file_format(path)
    content = decode_text(read_limited(path), path)
    if fmt == "text":
        for n, line in enumerate(content.splitlines(), 1):
            yield Row(n, {"text": line})
    elif fmt == "jsonl":
        yield from _jsonl(content, text_column, path)
    else:
        yield from _delimited(content, "\t" if fmt == "tsv" else ",", text_column, path)


def _jsonl(content: str, text_column: str, path: Path) -> Iterator[Row]:
    for n, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = parse_json(line)
        except PayloadError as exc:
            cause = exc.__cause__
            what = (
                f"invalid JSON ({cause.msg} at column {cause.colno})"
                if isinstance(cause, json.JSONDecodeError)
                else str(exc).split(":")[0]
            )
            yield Row(n, error=f"{path}:{n}: {what}: fix or remove the line")
            continue
        if not isinstance(obj, dict) or text_column not in obj:
            yield Row(
                n, error=f"{path}:{n}: no {text_column!r} field: each line needs one (see --text-column)"
            )
            continue
        if not isinstance(obj[text_column], str):
            kind = type(obj[text_column]).__name__
            yield Row(
                n, error=f"{path}:{n}: the {text_column!r} field is not text (it is {kind}): fix the line"
            )
            continue
        if _LONE_SURROGATE.search(json.dumps(obj, ensure_ascii=False)):
            yield Row(
                n,
                error=f"{path}:{n}: holds a lone surrogate escape (such as \\ud800), which is not a "
                "character: fix or remove the line",
            )
            continue
        yield Row(n, obj)


def _delimited(content: str, delimiter: str, text_column: str, path: Path) -> Iterator[Row]:
    # strict: a quote that never closes is an error at the end of the file, not one post holding the rest
    reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    lines = content.splitlines()
    if not content.strip():  # no header to name a column in: say so, not "no column 'text' (columns: )"
        raise no_posts(path, "it is empty")
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise _quote_error(path, exc, 0, lines) from None
    if fieldnames is None or text_column not in fieldnames:
        raise InputError(
            f"{path}: no column {text_column!r} (columns: {', '.join(fieldnames or [])}): "
            "name the text column with --text-column"
        )
    if twice := sorted({name for name in fieldnames if fieldnames.count(name) > 1}):
        # a row keeps only the last column of a name: the other's values (a text, a label) would vanish
        raise InputError(
            f"{path}:1: the header names the column{'s' if len(twice) > 1 else ''} "
            f"{', '.join(map(repr, twice))} more than once: rename one, so no column is read in place of "
            "another"
        )
    while True:
        done = reader.line_num
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _quote_error(path, exc, done, lines) from None
        n = reader.line_num
        if None in record:
            yield Row(n, error=f"{path}:{n}: more fields than the header has: check the quoting")
            continue
        if record[text_column] is None:  # a short row: DictReader fills the missing fields with None
            yield Row(
                n,
                error=f"{path}:{n}: fewer fields than the header has, none for the {text_column!r} column: "
                "check the delimiter and the quoting",
            )
            continue
        yield Row(n, dict(record))


def _quote_error(path: Path, exc: csv.Error, done: int, lines: list[str]) -> InputError:
    """The row after line ``done`` could not be read: name the line it starts on (where its quote opened)."""
    start = done + 1
    while start <= len(lines) and not lines[start - 1].strip():
        start += 1
    if "end of data" in str(exc):
        return InputError(
            f"{path}:{start}: a quoted field opened in the row on this line never closes (the file ends "
            'inside it): add the closing quote (") or remove the stray one'
        )
    return InputError(f"{path}:{start}: malformed quoting in the row on this line ({exc}): fix the quotes")
