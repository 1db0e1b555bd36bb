"""Reading posts from files given on the command line: plain text, JSON Lines, CSV or TSV.

Each row comes back with its line number and either its fields or an error, so one bad line is
reported and skipped while the rest are still read.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import InputError

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class Row:
    """One input item: where it came from, its fields, or what was wrong with it."""

    line: int
    fields: dict[str, object] = field(default_factory=dict)
    error: str | None = None


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}.get(suffix, "text")


def read_rows(path: Path, text_column: str = "text") -> Iterator[Row]:
    """Yield every row of ``path``; a row without ``text_column`` carries an error, not an exception."""
    if str(path) != "-" and not path.is_file():
        raise InputError(f"input file {path} does not exist: check the path given to --input")
    fmt = file_format(path)
    raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    content = raw.decode("utf-8", errors="replace")
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
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(
                n, error=f"{path}:{n}: invalid JSON ({exc.msg} at column {exc.colno}): fix or remove the line"
            )
            continue
        if not isinstance(obj, dict) or text_column not in obj:
            yield Row(
                n, error=f"{path}:{n}: no {text_column!r} field: each line needs one (see --text-column)"
            )
            continue
        yield Row(n, obj)


def _delimited(content: str, delimiter: str, text_column: str, path: Path) -> Iterator[Row]:
    reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter)
    if reader.fieldnames is None or text_column not in reader.fieldnames:
        raise InputError(
            f"{path}: no column {text_column!r} (columns: {', '.join(reader.fieldnames or [])}): "
            "name the text column with --text-column"
        )
    for record in reader:
        n = reader.line_num
        if None in record:
            yield Row(n, error=f"{path}:{n}: more fields than the header has: check the quoting")
            continue
        yield Row(n, dict(record))
