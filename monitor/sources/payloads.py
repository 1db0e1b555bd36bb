"""Helpers shared by the platform sources: exact item bytes out of a response body, parse errors.

Evidence needs each item's JSON exactly as the platform sent it. ``item_bytes`` walks a response body
and returns, for the array at a key path, the original bytes of each element (no re-serialisation:
the same bytes, so the same SHA-256).

One truth per post: a body in which an object holds the same key twice is refused (``load_json``, and
the walker itself), because a parser keeps the last value and a scan of the bytes may find the first, so
the stored bytes of a post could show another post. A body nested deeper than ``MAX_DEPTH`` is refused
too: no platform sends one, and Python's own parser gives up (RecursionError) at about 1,000 levels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import accumulate

from monitor.errors import InputError

MAX_DEPTH = 100
_DECODER = json.JSONDecoder()
_WS = " \t\n\r"
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class PayloadError(InputError, ValueError):
    """The body, or one item of it, is not the JSON shape the platform documents. In the error tree under
    ``InputError``; also a ``ValueError``, so the parsers' item loops, which skip an item on the builtin
    errors a conversion raises (``int()``, ``fromisoformat``), skip on this one too."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object's members as a dict; a key that appears twice is refused (see the module's docstring)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        key = ""
        for key, _ in pairs:
            if key in seen:
                break
            seen.add(key)
        owner = obj.get("id")
        where = f" of the object with id {owner!r}" if isinstance(owner, str | int) else ""
        raise PayloadError(
            f"the key {key!r} appears twice in one JSON object{where}: a parser and the stored bytes "
            "could disagree about the post, so the body is refused; save the response again as sent"
        )
    return obj


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in a valid JSON text (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def parse_json(text: str, max_depth: int = MAX_DEPTH) -> object:
    """Parse a JSON text whose objects hold each key once and that nests at most ``max_depth`` deep.

    Raises ``PayloadError`` (not JSON, a key twice, too deep) or ``json.JSONDecodeError``'s message inside
    it; never ``RecursionError``.
    """
    too_deep = PayloadError(f"nested more than {max_depth} levels deep: not a platform response")
    try:
        obj = json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise too_deep from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"not JSON ({exc.__class__.__name__}: {exc})") from exc
    if isinstance(obj, dict | list) and nesting_depth(text) > max_depth:
        raise too_deep
    return obj


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _members(text: str, pos: int) -> Iterator[tuple[str, int, int]]:
    """(key, value start, value end) for each member of the object starting at ``pos``."""
    pos = _skip(text, pos)
    if pos >= len(text) or text[pos] != "{":
        raise PayloadError("expected a JSON object")
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "}":
        return
    while True:
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] != ":":
            raise PayloadError("malformed JSON object")
        start = _skip(text, pos + 1)
        _, end = _DECODER.raw_decode(text, start)
        yield key, start, end
        pos = _skip(text, end)
        if text[pos] == "}":
            return
        if text[pos] != ",":
            raise PayloadError("malformed JSON object")
        pos = _skip(text, pos + 1)


def _elements(text: str, pos: int) -> Iterator[tuple[int, int]]:
    if text[pos] != "[":
        raise PayloadError("expected a JSON array")
    pos = _skip(text, pos + 1)
    if text[pos] == "]":
        return
    while True:
        _, end = _DECODER.raw_decode(text, pos)
        yield pos, end
        pos = _skip(text, end)
        if text[pos] == "]":
            return
        if text[pos] != ",":
            raise PayloadError("malformed JSON array")
        pos = _skip(text, pos + 1)


def _locate(body: bytes | str, path: tuple[str, ...]) -> tuple[str, int, int] | None:
    """The body's text and the span of the value at ``path``, or None if a key is missing.

    A key of the path that appears twice in its object raises ``PayloadError``: there is no one value.
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        start, end = 0, len(text)
        for key in path:
            found = [(s, e) for k, s, e in _members(text[:end], start) if k == key]
            if len(found) > 1:
                raise PayloadError(f"the key {key!r} appears twice in one JSON object")
            if not found:
                return None
            start, end = found[0]
        return text, start, end
    except (json.JSONDecodeError, UnicodeDecodeError, IndexError, StopIteration, RecursionError) as exc:
        raise PayloadError(f"truncated or malformed JSON ({exc})") from exc


def item_bytes(body: bytes | str, *path: str) -> list[bytes]:
    """The exact UTF-8 bytes of each element of the array at ``path`` (e.g. ``"data"``).

    A missing key gives an empty list; a body that is not JSON raises ``PayloadError``.
    """
    located = _locate(body, path)
    if located is None:
        return []
    text, start, end = located
    try:
        return [text[s:e].encode("utf-8") for s, e in _elements(text[:end], start)]
    except (json.JSONDecodeError, IndexError, RecursionError) as exc:
        raise PayloadError(f"truncated or malformed JSON ({exc})") from exc


def value_bytes(body: bytes | str, *path: str) -> bytes:
    """The exact UTF-8 bytes of the value at ``path`` (e.g. a single-object ``"data"``)."""
    located = _locate(body, path)
    if located is None:
        raise PayloadError(f"no {'.'.join(path)!r} in the body")
    text, start, end = located
    return text[start:end].encode("utf-8")


def load_json(body: bytes) -> object:
    """Parse a response body, as ``PayloadError`` if it is not JSON, holds a key twice in one object or
    nests deeper than ``MAX_DEPTH``."""
    encoding = json.detect_encoding(body)
    if encoding != "utf-8":  # the byte walker reads UTF-8 only: refused here with why, not as "malformed"
        fix = "the platforms send UTF-8 without a byte-order mark: save the response as UTF-8 without a BOM"
        if encoding == "utf-8-sig":
            raise PayloadError(f"starts with a UTF-8 byte-order mark; {fix}")
        raise PayloadError(f"truncated or malformed JSON (it is {encoding} text; {fix})")
    try:
        text = body.decode(encoding, "surrogatepass")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"not JSON ({exc.__class__.__name__}: {exc})") from exc
    return parse_json(text)
