"""Edits made on the platform after a post was first captured: the text each later capture holds, compared
with the text first captured. Pure (no I/O): the Legal review and Item pages and the evidence summary
read a post's captures through it.

A later capture is a re-read of an open item (``Store.captures``): on X the whole post, on Facebook its
counters and its ``message``. Each capture's text is read from its own bytes (``capture_text``), the way
the first capture's is, so both sides of a comparison come from the same kind of field. A capture that
holds no text (a Facebook re-read made before the refresh asked for ``message``, bytes that are not the
platform's JSON) says nothing about edits: it is neither an edit nor a return to the first text.

Texts that differ only in white space (a trailing space, a line break for a space) are the same text: a
reader cannot tell them apart, and legal needs the edits of words. So a version of the text is named by
``version_key``: the SHA-256 of its words. The monitor classifies each edited version once per model
version (``read_edit`` finds them, ``monitor.pipeline`` classifies them, ``monitor.storage.edits`` keeps
them); triage then follows the most serious version (``monitor.triage.most_serious``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.records import valid_text
from monitor.sources.payloads import load_json
from monitor.vocabulary import Platform


@dataclass(frozen=True)
class CaptureText:
    """What one later capture says of the post's text."""

    text: str | None  # the text it holds; None: it holds none (a counters-only read, unreadable bytes)
    edited: bool  # its text differs from the first capture's
    changed: bool  # its text differs from the one before it (the last capture holding one, or the first)


@dataclass(frozen=True)
class Edit:
    """A later capture's text that is an edit of the text first captured."""

    text: str  # as the capture holds it
    key: str  # its ``version_key``: the same for every capture holding the same words


def capture_text(platform: str, body: bytes) -> str | None:
    """The post's text in a capture's bytes: a Facebook object's ``message``; an X post object's
    ``note_tweet.text`` (the whole text of a long post) if it has one, else its ``text``. None when the
    bytes are not a JSON object of that platform's shape with such a field (bad JSON, an array, a number,
    another platform's object, a field that is not text); never an exception."""
    try:
        obj = load_json(bytes(body))
    except (ValueError, TypeError):  # PayloadError is a ValueError
        return None
    if not isinstance(obj, dict):
        return None
    text: object = None
    if platform == Platform.FACEBOOK:
        text = obj.get("message")
    elif platform == Platform.X:
        note = obj.get("note_tweet")
        long_text = note.get("text") if isinstance(note, dict) else None
        text = long_text if isinstance(long_text, str) else obj.get("text")
    return valid_text(text) if isinstance(text, str) else None


def same_text(a: str, b: str) -> bool:
    """``a`` and ``b`` read the same: equal once every run of white space is one space and the ends are
    trimmed."""
    return a.split() == b.split()


def version_key(text: str) -> str:
    """The name of a version of a post's text: the SHA-256 (hex) of its words, one space between them, so
    that texts differing only in white space share it (``same_text``)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8", "surrogatepass")).hexdigest()


def first_text(platform: str, raw: bytes | None, stored_text: str) -> str:
    """The text first captured: read from the stored raw payload ``raw``, or, when there is none or it
    holds no text, the post's stored text (what was classified)."""
    found = capture_text(platform, raw) if raw is not None else None
    return stored_text if found is None else found


def read_edit(platform: str, raw: bytes | None, stored_text: str, body: bytes) -> Edit | None:
    """The edit a later capture's bytes ``body`` hold: their text, if it is not the text first captured
    (``first_text`` of ``raw`` and ``stored_text``); None when they hold no text or the first text again
    (white space aside). Never an exception: bytes that are not the platform's JSON hold no text."""
    text = capture_text(platform, body)
    if text is None or same_text(text, first_text(platform, raw, stored_text)):
        return None
    return Edit(text, version_key(text))


def capture_texts(platform: str, first: str, bodies: Sequence[bytes]) -> list[CaptureText]:
    """For each later capture's bytes (oldest first), its text and whether it is an edit of ``first``
    (the text first captured) and a change from the text before it."""
    out, before = [], first
    for body in bodies:
        text = capture_text(platform, body)
        if text is None:
            out.append(CaptureText(None, edited=False, changed=False))
            continue
        out.append(CaptureText(text, edited=not same_text(text, first), changed=not same_text(text, before)))
        before = text
    return out


def latest_edit(texts: Sequence[CaptureText]) -> tuple[int, str] | None:
    """The index and text of the newest capture holding a text, if that text is an edit of the first one;
    None when the post reads as first captured (never edited, or edited back) or no capture holds a
    text."""
    for n in range(len(texts) - 1, -1, -1):
        text = texts[n].text
        if text is not None:
            return (n, text) if texts[n].edited else None
    return None
