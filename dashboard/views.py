"""Pure helpers for the dashboard: text and table shapes, never I/O.

A post is shown as plain text: it is HTML-escaped and laid out with ``white-space: pre-wrap`` inside a
``dir`` box (right-to-left for Hebrew), so markup, markdown and scripts in a hostile post stay inert.
Names, handles and links come from strangers too: they go through ``monitor.text_safety`` (hidden
characters shown as markers, names isolated), so an override in a handle cannot reverse the line.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from monitor import i18n
from monitor.formatting import reach
from monitor.i18n import N_, gettext_for, label_name
from monitor.records import PostEdit, QueueItem, parse_item_id
from monitor.text_safety import flags, for_html, for_terminal, one_line, safe_href
from monitor.workflow import AWAITING_FIRST_RESPONSE

LABEL_ICONS = {"defamation": "⚖️", "boycott": "🚫", "complaint": "💬", "neutral": "·", "praise": "⭐"}
NUL, REPLACEMENT = "\x00", "\ufffd"
# The words the dashboard shows for stored codes (statuses, decisions, platforms, post languages, the
# health of a source); the code itself stays in the database and in the filters' values.
STATUS_NAMES = {
    "new": N_("new"),
    "in_progress": N_("in progress"),
    "awaiting_approval": N_("awaiting approval"),
    "responded": N_("responded"),
    "escalated": N_("escalated"),
    "legal_review": N_("legal review"),
    "decided": N_("decided"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "dismissed": N_("dismissed"),
}
DECISION_NAMES = i18n.DECISION_NAMES
ACTION_NAMES = i18n.ACTION_NAMES
REPLY_STATUS_NAMES = {
    "draft": N_("draft"),
    "approved": N_("approved"),
    "queued": N_("queued"),
    "posting": N_("posting"),
    "sent": N_("sent"),
    "posted": N_("posted"),
    "failed": N_("failed"),
}
# What the audit trail of an item shows for each recorded action (the workflow's own names first).
AUDIT_NAMES = {
    **ACTION_NAMES,
    "approve": N_("Approve"),
    "assign": N_("Assign"),
    "draft": N_("draft"),
    "checklist": N_("checklist"),
    "correct": N_("label correction"),
    "export_evidence": N_("evidence export"),
    "queue_reply": N_("reply queued"),
    "reply_failed": N_("reply failed"),
    "language_settings": N_("language"),
}
PLATFORM_NAMES = {"x": N_("X"), "facebook": N_("Facebook")}
POST_LANGUAGE_NAMES = {"he": N_("Hebrew"), "en": N_("English"), "mixed": N_("mixed"), "und": N_("unknown")}
ROLE_NAMES = i18n.ROLE_NAMES


def name_of(names: dict[str, str], code: str | None, lang: str) -> str:
    """The shown name of a stored code (a status, a decision, a platform ...) in ``lang``; an unknown
    code is shown as it is."""
    if code is None:
        return "—"
    source = names.get(code)
    return gettext_for(lang)(source) if source else code.replace("_", " ")


def status_name(status: str, lang: str) -> str:
    return name_of(STATUS_NAMES, status, lang)


def when(value: datetime | str | None, lang: str = "en", tz: tzinfo = UTC) -> str:
    """A stored time (datetime or ISO text) in the time zone ``tz``, as ``lang`` writes it."""
    if value is None:
        return "—"
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return i18n.format_datetime(at, lang, tz, style="short")


def label_text(label: str | None, lang: str) -> str:
    """A label with its icon and its name in ``lang`` (``⚖️ Defamation``, ``⚖️ לשון הרע``)."""
    icon = LABEL_ICONS.get(label or "")
    name = label_name(label, lang)
    return f"{icon} {name}" if icon else name


def version_label(version: PostEdit, lang: str) -> str:
    """An edited version's label with its icon and score (``⚖️ Defamation 0.90``); "—" before it is
    classified."""
    if version.label is None:
        return "—"
    return (
        f"{label_text(version.label, lang)} {number(f'{version.scores.get(version.label, 0.0):.2f}', lang)}"
    )


def duration(seconds: float, lang: str) -> str:
    """A span of time in words (``2 hours``, ``שעתיים``)."""
    return i18n.format_duration(timedelta(seconds=seconds), lang)


def sla_text(due: datetime, status: str, now: datetime, lang: str) -> str:
    """'due in 2 hours', 'LATE 40 minutes', or '—' once the first response is done."""
    _ = gettext_for(lang)
    if status not in AWAITING_FIRST_RESPONSE:
        return "—"
    left = (due - now).total_seconds()
    if left < 0:
        return _("LATE {time}").format(time=duration(-left, lang))
    return _("due in {time}").format(time=duration(left, lang)) if left >= 60 else _("due now")


def sla_late(due: datetime, status: str, now: datetime) -> bool:
    return status in AWAITING_FIRST_RESPONSE and due < now


def ago(moment: datetime, now: datetime, lang: str) -> str:
    """How long ago ``moment`` was, relative to ``now`` (``2 hours ago``, ``לפני שעתיים``)."""
    return i18n.format_relative(moment - now, lang)


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


def name_text(value: str | None) -> str:
    """A name that is not a handle (a source's) for a table cell or a choice: its hidden characters as
    markers, as ``repmon status`` and the digest show it."""
    return for_terminal(value)


def message_line(value: str | None) -> str:
    """A stored message (a source's last error) for a table cell: one line, hidden characters as
    markers (as ``repmon status`` prints it)."""
    return one_line(value)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def markdown_text(text: str) -> str:
    """Text for a Streamlit Markdown element (``st.caption``, ``st.markdown``) shown as typed: every
    character Markdown, HTML, LaTeX ($) or an emoji/colour shortcode (:) would act on is escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def number(text: str, lang: str) -> str:
    """A number (with its unit) for plain text: isolated (FSI ... PDI) in a right-to-left interface, so
    the digits keep their order inside Hebrew words; as it is in a left-to-right one."""
    return f"\u2068{text}\u2069" if i18n.direction(lang) == "rtl" else text


def author_html(author: str, followers: int | None, lang: str, more: str = "") -> str:
    """'@handle · 12k followers' (then ``more``, plain text) as HTML in the interface's direction: the
    handle escaped, its hidden characters as markers, in ``<bdi>``, and in a right-to-left interface the
    count in ``<bdi>`` too, so neither a Hebrew name nor an English one reorders the words around it."""
    _ = gettext_for(lang)
    count = html.escape(reach(followers))
    line = html.escape(_("{author} · {followers} followers")).format(
        author=for_html(f"@{author}"),
        followers=f"<bdi>{count}</bdi>" if i18n.direction(lang) == "rtl" else count,
    )
    return f'<div class="repmon-author" dir="{i18n.direction(lang)}">{line}{more}</div>'


def hidden_warning(author: str, lang: str = "en") -> str | None:
    """The warning to show when an author's handle holds hidden direction or control characters."""
    found = flags(author)
    if not found:
        return None
    _ = gettext_for(lang)
    return _(
        "Watch out: hidden direction or control characters in the author's handle: {found} "
        "(shown as ⟨U+…⟩ markers)."
    ).format(found=", ".join(found))


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
    """The direction of a post in ``language`` (a post's language, not the interface's)."""
    if language in i18n.RTL_LANGUAGES or language == i18n.MIXED:
        return "rtl"
    return "ltr" if language == "en" else "auto"


def post_html(text: str, language: str | None) -> str:
    """The post as inert HTML: escaped, line breaks kept, right-to-left for Hebrew. The border is on the
    post's start side (``border-inline-start``), so it sits right of a Hebrew post in either interface.
    A word longer than the box's width is broken anywhere (``overflow-wrap: anywhere``), so one long
    unbroken word cannot run past the box."""
    return (
        f'<div class="repmon-post" dir="{direction(language)}" style="white-space: pre-wrap; '
        "overflow-wrap: anywhere; unicode-bidi: plaintext; font-size: 1.1rem; line-height: 1.6; "
        "padding: 0.8rem 1rem; "
        'border-inline-start: 4px solid #d0d7de; background: #f6f8fa; border-radius: 6px;">'
        f"{html.escape(text.replace(NUL, REPLACEMENT), quote=True)}</div>"
    )


def name_html(value: str, prefix: str = "") -> str:
    """A name (a handle, a link, an id) for HTML: escaped, hidden characters as markers, and isolated in
    ``<bdi>`` so it keeps its own direction inside text of the other one."""
    return for_html(f"{prefix}{value}")


def safe_url(url: str) -> str | None:
    """The post's link if it is an http(s) address (hidden characters percent-encoded), else None (no
    javascript: or data: links)."""
    return safe_href(url)


def queue_rows(items: Sequence[QueueItem], now: datetime, lang: str = "en") -> list[dict[str, object]]:
    """The Queue page's table rows, one per item: what a manager scans first comes first. The keys are
    stable codes; ``queue_columns(lang)`` gives their headings."""
    _ = gettext_for(lang)
    return [
        {
            "id": it.id,
            "priority": round(it.priority, 1),
            "label": f"{label_text(it.label, lang)} {it.scores.get(it.label or '', 0.0):.2f}",
            "post": (_("(edited) ") if it.edit else "") + excerpt(it.followed_text, 90),
            "SLA": sla_text(it.sla_due_at, it.status, now, lang),
            "virality": round(it.virality or 0.0),
            "author": f"{handle(it.author)} · {reach(it.author_followers)}",
            "where": name_of(PLATFORM_NAMES, it.platform, lang) + (_(" · our page") if it.own_page else ""),
            "age": ago(it.created_at, now, lang),
            "status": status_name(it.status, lang),
            "assignee": it.assignee or "",
        }
        for it in items
    ]


def queue_columns(lang: str) -> dict[str, str]:
    """The Queue table's column headings in ``lang``, by row key."""
    _ = gettext_for(lang)
    return {
        "id": "#",
        "priority": _("priority"),
        "label": _("label"),
        "post": _("post"),
        "SLA": _("SLA"),
        "virality": _("virality"),
        "author": _("author"),
        "where": _("where"),
        "age": _("age"),
        "status": _("status"),
        "assignee": _("assignee"),
    }


EXPORT_LIMIT = 5000  # items in one CSV download of the queue


def queue_csv(items: Sequence[QueueItem], lang: str = "en", tz: tzinfo = UTC) -> bytes:
    """The items as a CSV file a spreadsheet opens right: headings in ``lang``, the whole post (hidden
    characters as markers), times in ``tz`` as YYYY-MM-DD HH:MM, UTF-8 with a byte-order mark (without
    it Excel reads Hebrew as Latin-1). Every cell is written through ``defusedcsv``: a post or a name that
    starts with = + - @ | or % (a spreadsheet formula such as ``=HYPERLINK(...)``) gets a leading
    apostrophe, so the spreadsheet shows it as text instead of running it."""
    from defusedcsv import csv

    _ = gettext_for(lang)
    heads = [
        "#", _("posted"), _("where"), _("author"), _("followers"), _("label"), _("score"),
        _("defamation score"), _("boycott score"), _("priority"), _("virality"), _("status"),
        _("assignee"), _("SLA due"), _("link"), _("post"), _("post as edited (label and triage follow it)"),
    ]  # fmt: skip

    def at(moment: datetime | None) -> str:
        if moment is None:
            return ""
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(heads)
    for it in items:
        writer.writerow(
            [
                it.id,
                at(it.created_at),
                name_of(PLATFORM_NAMES, it.platform, lang) + (_(" · our page") if it.own_page else ""),
                for_terminal(it.author),
                "" if it.author_followers is None else it.author_followers,
                label_name(it.label, lang),
                f"{it.scores.get(it.label or '', 0.0):.2f}",
                f"{it.scores.get('defamation', 0.0):.2f}",
                f"{it.scores.get('boycott', 0.0):.2f}",
                f"{it.priority:.1f}",
                "" if it.virality is None else round(it.virality),
                status_name(it.status, lang),
                it.assignee or "",
                at(it.sla_due_at),
                safe_url(it.url) or "",
                for_terminal(it.text, text=True),
                for_terminal(it.edit.text, text=True) if it.edit else "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
