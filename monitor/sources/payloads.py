"""Helpers shared by the platform sources: exact item bytes out of a response body, parse errors.

Evidence needs each item's JSON exactly as the platform sent it. ``item_bytes`` walks a response body
and returns, for the array at a key path, the original bytes of each element (no re-serialisation:
the same bytes, so the same SHA-256).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

_DECODER = json.JSONDecoder()
_WS = " \t\n\r"


class PayloadError(ValueError):
    """The body is not the JSON shape the platform documents."""


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
    """The body's text and the span of the value at ``path``, or None if a key is missing."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        start, end = 0, len(text)
        for key in path:
            found = next(((s, e) for k, s, e in _members(text[:end], start) if k == key), None)
            if found is None:
                return None
            start, end = found
        return text, start, end
    except (json.JSONDecodeError, UnicodeDecodeError, IndexError, StopIteration) as exc:
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
    except (json.JSONDecodeError, IndexError) as exc:
        raise PayloadError(f"truncated or malformed JSON ({exc})") from exc


def value_bytes(body: bytes | str, *path: str) -> bytes:
    """The exact UTF-8 bytes of the value at ``path`` (e.g. a single-object ``"data"``)."""
    located = _locate(body, path)
    if located is None:
        raise PayloadError(f"no {'.'.join(path)!r} in the body")
    text, start, end = located
    return text[start:end].encode("utf-8")


def load_json(body: bytes) -> object:
    """Parse a response body, as ``PayloadError`` if it is not JSON."""
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError(f"not JSON ({exc.__class__.__name__}: {exc})") from exc
