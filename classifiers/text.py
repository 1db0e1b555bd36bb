"""Input hygiene and language detection for posts, before they reach the encoder."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_CHARS = 20_000  # far beyond what the encoder reads; keeps tokenising a 100 KB post cheap

_HEBREW = re.compile(r"[\u0590-\u05FF\uFB1D-\uFB4F]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]")
_CONTROL = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class CleanText:
    """A post made safe for the encoder, with notes on what was changed."""

    text: str
    notes: tuple[str, ...]


def clean(text: object) -> CleanText:
    """Remove what breaks tokenisers (NUL and control bytes, lone surrogates) and cap the length.

    Anything that is not a string is turned into one, so a batch never fails on one odd item.
    """
    notes: list[str] = []
    if text is None:
        return CleanText("", ("no text",))
    if not isinstance(text, str):
        text = str(text)
        notes.append("non-text input converted to text")
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
        notes.append("invalid Unicode (lone surrogates) replaced")
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
        notes.append("control characters removed")
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        notes.append(f"text longer than {MAX_CHARS:,} characters: only the start was read")
    text = text.strip()
    if not has_content(text):
        notes.append("no words to classify")
    return CleanText(text, tuple(notes))


def has_content(text: str) -> bool:
    """True when the text holds at least one letter, digit, or symbol such as an emoji."""
    return any(unicodedata.category(ch)[0] in "LNS" for ch in text)


def detect_language(text: str) -> str:
    """``he``, ``en``, ``mixed`` (both scripts substantially), or ``und`` (no letters).

    Posts here are Hebrew or English; Latin script is reported as ``en``.
    """
    he = len(_HEBREW.findall(text))
    la = len(_LATIN.findall(text))
    total = he + la
    if total == 0:
        return "und"
    if he / total >= 0.8:
        return "he"
    if la / total >= 0.8:
        return "en"
    return "mixed"
