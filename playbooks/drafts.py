"""Reply drafts from a playbook's template, in the post's language (pure).

Nothing from the post reaches a draft except the author's name, and that only as plain words: markup,
links, mentions, braces, control and bidi-override characters are removed, so a hostile display name can
neither inject markup nor expand another placeholder.
"""

from __future__ import annotations

import re
import unicodedata

from playbooks.engine import Playbook

MAX_NAME = 40
_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_KEEP = re.compile(r"[^\w\s.'\-\u05b0-\u05f4]", re.UNICODE)  # letters, digits, spaces, . ' - and Hebrew marks


def safe_name(name: str | None) -> str:
    """A display name reduced to plain words, at most 40 characters ('' if nothing is left)."""
    if not name:
        return ""
    text = "".join(ch for ch in str(name) if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs"))
    text = _URL.sub(" ", text)
    text = _KEEP.sub(" ", text)
    text = " ".join(text.replace("_", " ").split())
    return text[:MAX_NAME].strip()


_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_reply(text: str) -> str:
    """A manager's edited reply without control or bidi-override characters (which can disguise text)."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co"))
    return _BIDI_CONTROLS.sub("", kept).strip()


def draft_language(post_language: str | None, default: str = "he") -> str:
    """English posts get English drafts; Hebrew, mixed and unknown ones get the business's default."""
    return "en" if post_language == "en" else default


def render_draft(
    playbook: Playbook,
    post_language: str | None,
    author: str | None,
    business: str,
    channel: dict[str, str],
    contact: str,
    default_language: str = "he",
) -> tuple[str, str]:
    """The draft text and its language; empty text when the playbook has no public reply."""
    lang = draft_language(post_language, default_language)
    template = getattr(playbook.templates, lang)
    if not template.strip():
        return "", lang
    fallback = "שלום" if lang == "he" else "there"
    values = {
        "author": safe_name(author) or fallback,
        "business": business,
        "channel": channel.get(lang, ""),
        "contact": contact,
    }
    return template.format(**values).strip(), lang
