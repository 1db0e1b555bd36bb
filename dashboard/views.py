"""Pure helpers for the dashboard: text and table shapes, never I/O.

A post is shown as plain text: it is HTML-escaped and laid out with ``white-space: pre-wrap`` inside a
``dir`` box (right-to-left for Hebrew), so markup, markdown and scripts in a hostile post stay inert.
Names, handles and links come from strangers too: they go through ``monitor.text_safety`` (hidden
characters shown as markers, names isolated), so an override in a handle cannot reverse the line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime

from monitor.formatting import age, reach
from monitor.records import QueueItem, parse_item_id
from monitor.text_safety import flags, for_terminal, isolate, one_line, safe_href
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
    """A post as one line of at most ``limit`` characters; overrides and controls shown as markers."""
    return one_line(text, limit)


def invisible_characters(text: str) -> list[str]:
    """Short names of the hidden characters in a post's text that the display neutralises (each once,
    in order): bidi overrides, embeddings and isolates, zero-width spaces, controls."""
    return flags(text, text=True)


def handle(author: str) -> str:
    """A handle for a table cell: '@' and the handle with its hidden characters as markers."""
    return f"@{for_terminal(author)}"


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def markdown_text(text: str) -> str:
    """Text for a Streamlit Markdown element (``st.caption``, ``st.markdown``) shown as typed: every
    character Markdown, HTML, LaTeX ($) or an emoji/colour shortcode (:) would act on is escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def author_line(author: str, followers: int | None) -> str:
    """'@handle · 12k followers' as plain text: the handle's hidden characters as markers and the handle
    in an isolate (FSI ... PDI), so neither an override nor a Hebrew name reorders the count."""
    return f"@{isolate(author)} · {reach(followers)} followers"


def hidden_warning(author: str) -> str | None:
    """The warning to show when an author's handle holds hidden direction or control characters."""
    found = flags(author)
    if not found:
        return None
    return (
        f"Watch out: hidden direction or control characters in the author's handle: {', '.join(found)} "
        "(shown as ⟨U+…⟩ markers)."
    )


def requested_item(value: object) -> tuple[int | None, str | None]:
    """An item id asked for by a link (``?id=``) or the session: (the id, None) when it is one an item
    can have, (None, what was asked for, shown safely) when not, (None, None) when nothing was asked."""
    if value is None or value == "":
        return None, None
    number = parse_item_id(value)
    if number is None:
        return None, for_terminal(str(value))[:40]
    return number, None


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
    """The post's link if it is an http(s) address (hidden characters percent-encoded), else None (no
    javascript: or data: links)."""
    return safe_href(url)


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
            "author": f"{handle(it.author)} · {reach(it.author_followers)}",
            "where": it.platform + (" · our page" if it.own_page else ""),
            "age": age((now - it.created_at).total_seconds()),
            "status": it.status.replace("_", " "),
            "assignee": it.assignee or "",
        }
        for it in items
    ]


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
