"""Untrusted text made safe to show: names, handles, links and post texts on a terminal, in HTML, in an
e-mail header or body.

Anyone can pick an X handle, a Facebook name or a post's text, and a few invisible characters change
what a reader sees: U+202E (RIGHT-TO-LEFT OVERRIDE) in a handle reverses the rest of the line ("500000
followers" reads "srewollof 000005"), ESC starts a terminal escape sequence, CR/LF forge a new line or
e-mail header. Every surface that shows such text goes through this module; it is pure (no I/O).

Two kinds of text:

* a *name* (handle, display name, link, source name): every control, format and line-separator
  character, and each Hangul filler (a letter drawn as nothing), is shown as a visible marker such as
  ``⟨U+202E⟩`` (a zero-width joiner inside an emoji and emoji tag characters stay: they cannot reorder
  or forge anything);
* a *post text* (``text=True``): line breaks and tabs stay, and so do the marks that Hebrew and Arabic
  writers use legitimately (LRM, RLM, ALM) and the joiners (ZWJ, ZWNJ); bidi embeddings and overrides,
  which reorder what follows them, the Hangul fillers and every other control are shown as markers;
  isolates and zero-width spaces are dropped (flagged, not shown).

``flags`` names the hidden characters a text holds so that a page can warn ("hidden direction
characters: RLO"); the raw stored text and payload are never changed, only what is displayed.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote

# Characters that change the display order of text (Unicode bidi controls), by their usual short names.
BIDI_CONTROLS = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u061c": "ALM",
}
# Invisible characters that do not reorder text but hide or glue it.
ZERO_WIDTH = {
    "\u200b": "ZWSP",
    "\u200c": "ZWNJ",
    "\u200d": "ZWJ",
    "\u2060": "WJ",
    "\ufeff": "BOM",
}
# Letters drawn as nothing (Unicode category Lo, so neither a control nor a format character): a
# handle of fillers looks empty, and one with a filler inside looks like the handle without it.
HANGUL_FILLERS = {
    "\u115f": "HCF",  # HANGUL CHOSEONG FILLER
    "\u1160": "HJF",  # HANGUL JUNGSEONG FILLER
    "\u3164": "HF",  # HANGUL FILLER
    "\uffa0": "HWHF",  # HALFWIDTH HANGUL FILLER
}
INVISIBLE = BIDI_CONTROLS | ZERO_WIDTH | HANGUL_FILLERS
# Short names of the controls a terminal or a mail header acts on.
_CONTROL_NAMES = {
    "\x1b": "ESC",
    "\r": "CR",
    "\n": "LF",
    "\t": "TAB",
    "\x00": "NUL",
    "\x7f": "DEL",
    "\x08": "BS",
}
# Kept in a post's text: legitimate in Hebrew and Arabic writing, and unable to reorder what follows.
_TEXT_KEEPS = frozenset("\n\t\u200e\u200f\u061c\u200c\u200d")
# Dropped from a post's text (and flagged): isolates, which writers use to wrap mixed-direction phrases
# but which an unbalanced one lets leak past the text, and the zero-width characters that hide nothing
# once removed. Bidi embeddings and overrides are shown as markers instead: they are how text is forged.
_TEXT_DROPS = frozenset("\u2066\u2067\u2068\u2069\u200b\u2060\ufeff")
_KEEP, _MARK, _DROP = 0, 1, 2
_PARTIAL_MARKER = re.compile(r"⟨(U(\+[0-9A-F]{0,6})?)?$")
_EMOJI_TAG_BASE = "\U0001f3f4"  # the black flag that emoji tag sequences (subdivision flags) follow


def _hidden(ch: str) -> bool:
    return ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def _kept_in_name(text: str, i: int) -> bool:
    """Whether the hidden character at ``text[i]`` is part of an emoji sequence (ZWJ after a non-letter,
    or a tag character after the black flag or another tag), which a name may hold."""
    ch, before = text[i], text[i - 1] if i else ""
    if ch == "\u200d":
        return bool(before) and unicodedata.category(before)[0] not in "LNZC"
    if "\U000e0020" <= ch <= "\U000e007f":
        return before == _EMOJI_TAG_BASE or "\U000e0020" <= before <= "\U000e007f"
    return False


def char_name(ch: str) -> str:
    """A hidden character's short name: 'RLO', 'ESC', 'CR', 'ZWSP', else 'U+XXXX'."""
    return INVISIBLE.get(ch) or _CONTROL_NAMES.get(ch) or f"U+{ord(ch):04X}"


def marker(ch: str) -> str:
    """The visible stand-in for a hidden character, e.g. '⟨U+202E⟩'."""
    return f"⟨U+{ord(ch):04X}⟩"


def _neutral(text: str, keep_text: bool) -> list[tuple[str, int]]:
    """Each character with what a display does with it: keep it, show a marker, or drop it."""
    out = []
    for i, ch in enumerate(text):
        if not _hidden(ch) or _kept_in_name(text, i):
            out.append((ch, _KEEP))
        elif keep_text and ch in _TEXT_KEEPS:
            out.append((ch, _KEEP))
        elif keep_text and ch in _TEXT_DROPS:
            out.append((ch, _DROP))
        else:
            out.append((ch, _MARK))
    return out


def flags(value: str | None, *, text: bool = False) -> list[str]:
    """The short names of the hidden characters in ``value`` that a display neutralises, each once, in
    order of first appearance ([] for a clean value). ``text=True``: judge it as a post's text (line
    breaks, tabs, LRM/RLM/ALM and joiners are not flagged; the isolates and zero-width spaces a display
    drops are)."""
    seen: list[str] = []
    for ch, fate in _neutral(value or "", text):
        if fate != _KEEP and char_name(ch) not in seen:
            seen.append(char_name(ch))
    return seen


def for_terminal(value: str | None, *, text: bool = False) -> str:
    """``value`` with every hidden character that could reorder it, forge a line or drive a terminal
    (ESC, CR, LF, DEL, C1 controls, bidi overrides and isolates) shown as a visible marker such as
    '⟨U+001B⟩'. As a name by default; ``text=True`` keeps a post's line breaks, tabs and Hebrew marks,
    and drops its isolates and zero-width spaces (see the module's docstring)."""
    return "".join(
        marker(ch) if fate == _MARK else ch for ch, fate in _neutral(value or "", text) if fate != _DROP
    )


def one_line(value: str | None, limit: int | None = None) -> str:
    """A post's text as one line for an excerpt: hidden characters as markers (as ``for_terminal`` with
    ``text=True``), white space collapsed, and cut to at most ``limit`` characters (ending in "…")."""
    return _cut(" ".join(for_terminal(value, text=True).split()), limit)


def isolate(value: str | None) -> str:
    """A name for plain text that a bidi-aware reader shows (a text file, a chat message): neutralised as
    ``for_terminal`` and wrapped in FSI ... PDI, so a Hebrew name cannot pull the words or numbers
    around it into its own direction."""
    return f"\u2068{for_terminal(value)}\u2069"


def for_html(value: str | None, *, text: bool = False, tag: str = "bdi") -> str:
    """A name (or, ``text=True``, a post's text) as HTML: hidden characters as markers, HTML-escaped,
    and isolated in ``<bdi>`` (``tag="span"``: ``<span dir="auto">``, for e-mail clients that do not
    know ``bdi``), so it can neither inject markup nor reorder the text around it."""
    inner = html.escape(for_terminal(value, text=text), quote=True)
    if tag == "bdi":
        return f"<bdi>{inner}</bdi>"
    return f'<span dir="auto">{inner}</span>'


def for_header(value: str | None, limit: int | None = None) -> str:
    """A name for an e-mail header (Subject): one line, no CR, LF or other control (each shown as a
    marker), white space collapsed, at most ``limit`` characters."""
    return _cut(" ".join(for_terminal(value).split()), limit)


def _cut(flat: str, limit: int | None) -> str:
    """``flat`` cut to ``limit`` characters ending in "…", never in the middle of a marker."""
    if limit is None or len(flat) <= limit:
        return flat
    head = _PARTIAL_MARKER.sub("", flat[: limit - 1])
    return head.rstrip() + "…"


def _json_escape(ch: str) -> str:
    """``ch`` as a JSON escape: ``\\uXXXX``, or the surrogate pair of a character past U+FFFF."""
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_for_terminal(obj: object, **kwargs: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, **kwargs)`` with every hidden character (bidi controls, C1
    controls, line separators, zero-width and format characters, Hangul fillers) written as a JSON
    escape such as ``\\u202e``: a program that reads the line gets exactly the stored text back, and a
    terminal that shows it cannot be made to reorder, hide or forge anything. Hebrew and every other
    visible character stay as they are; the line breaks of ``indent`` stay line breaks (JSON already
    escapes the controls inside its strings, so a raw line break is never part of a value)."""
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    return "".join(_json_escape(ch) if ch != "\n" and _hidden(ch) else ch for ch in text)


def safe_href(url: str | None) -> str | None:
    """An http(s) link fit for an ``href`` or a link button: hidden characters and spaces
    percent-encoded (so a link cannot hide a reversed or forged part); None for any other scheme."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    return "".join(quote(ch, safe="") if _hidden(ch) or ch.isspace() else ch for ch in url)
