"""Pure helpers for the dashboard: text and table shapes, never I/O.

A post is shown as plain text: it is HTML-escaped and laid out with ``white-space: pre-wrap`` inside a
``dir`` box (right-to-left for Hebrew), so markup, markdown and scripts in a hostile post stay inert.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from monitor.formatting import age, reach
from monitor.records import QueueItem
from monitor.workflow import AWAITING_FIRST_RESPONSE

LABEL_ICONS = {
    "defamation": "⚖️ defamation",
    "boycott": "🚫 boycott",
    "complaint": "💬 complaint",
    "neutral": "· neutral",
    "praise": "⭐ praise",
}
RTL_LANGUAGES = ("he", "mixed")
NUL, REPLACEMENT = "\x00", "\ufffd"
# Characters that change how text is displayed without being seen: bidi controls, zero-width marks.
INVISIBLE = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\u200b": "ZWSP",
    "\u200c": "ZWNJ",
    "\u200d": "ZWJ",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\ufeff": "BOM",
}


def when(value: datetime | str | None) -> str:
    """A stored time (datetime or ISO text) as 'YYYY-MM-DD HH:MM:SS UTC'."""
    if value is None:
        return "—"
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def label_text(label: str | None) -> str:
    return LABEL_ICONS.get(label or "", label or "unclassified")


def sla_text(due: datetime, status: str, now: datetime) -> str:
    """'due in 2h05m', 'LATE 40m', or '—' once the first response is done."""
    if status not in AWAITING_FIRST_RESPONSE:
        return "—"
    left = (due - now).total_seconds()
    if left < 0:
        return f"LATE {age(-left)}"
    return f"due in {age(left)}" if left >= 60 else "due now"


def excerpt(text: str, limit: int = 120) -> str:
    """One line of at most ``limit`` characters, with invisible controls removed."""
    flat = " ".join("".join(" " if ch in INVISIBLE else ch for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def invisible_characters(text: str) -> list[str]:
    """Names of the invisible display-control characters in a text (each once, in order)."""
    seen: list[str] = []
    for ch in text:
        name = INVISIBLE.get(ch) or (
            unicodedata.name(ch, "CONTROL") if unicodedata.category(ch) == "Cc" and ch not in "\n\t" else None
        )
        if name and name not in seen:
            seen.append(name)
    return seen


def direction(language: str | None) -> str:
    return "rtl" if language in RTL_LANGUAGES else ("ltr" if language == "en" else "auto")


def post_html(text: str, language: str | None) -> str:
    """The post as inert HTML: escaped, line breaks kept, right-to-left for Hebrew."""
    return (
        f'<div class="repmon-post" dir="{direction(language)}" style="white-space: pre-wrap; '
        "unicode-bidi: plaintext; font-size: 1.1rem; line-height: 1.6; padding: 0.8rem 1rem; "
        'border-left: 4px solid #d0d7de; background: #f6f8fa; border-radius: 6px;">'
        f"{html.escape(text.replace(NUL, REPLACEMENT), quote=True)}</div>"
    )


def safe_url(url: str) -> str | None:
    """The post's link if it is an http(s) address, else None (no javascript: or data: links)."""
    return url if url.startswith(("https://", "http://")) else None


def queue_rows(items: Sequence[QueueItem], now: datetime) -> list[dict[str, object]]:
    """The Queue page's table rows, one per item: what a manager scans first comes first."""
    return [
        {
            "id": it.id,
            "priority": round(it.priority, 1),
            "label": f"{label_text(it.label)} {it.scores.get(it.label or '', 0.0):.2f}",
            "post": excerpt(it.text, 90),
            "SLA": sla_text(it.sla_due_at, it.status, now),
            "virality": round(it.virality or 0.0),
            "author": f"@{it.author} · {reach(it.author_followers)}",
            "where": it.platform + (" · our page" if it.own_page else ""),
            "age": age((now - it.created_at).total_seconds()),
            "status": it.status.replace("_", " "),
            "assignee": it.assignee or "",
        }
        for it in items
    ]


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
