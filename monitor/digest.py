"""The owners' daily digest: what happened on the last full day, in one e-mail (Hebrew or English).

``collect_digest`` reads the store into a ``DigestSummary`` (the only I/O here); ``render_digest`` turns a
summary into an ``EmailMessage`` (pure); ``monitor.mailer`` sends it once per recipient.

*The day* is the last full local day in the configured time zone before the digest runs: run at 08:00
Asia/Jerusalem on 23 November, it covers 22 November 00:00 to 23 November 00:00 local time (22:00 to
22:00 UTC in winter; 23 or 25 hours on the nights the clocks change), and compares it with 21 November.
Its new mentions per label and its hourly spikes are about that day only, so a repeated run gives the
same numbers. Response times are for the items queued in the 24 hours before the digest, as they stand
when it is made (an SLA is judged against the present, and the night before the digest is when answers
run late). The queue sections (top open items, items with legal, failing sources) show the state when
the digest is made: that is what needs doing.

Post texts and names are hostile: the HTML template escapes everything (Jinja2 autoescape), every
excerpt shows its bidi overrides and controls as visible markers and loses its isolates
(``monitor.text_safety``), every handle, assignee and source name shows all its hidden characters as
markers, and each sits in its own ``dir`` box, so no markup, image, script or reordering trick from a
post or a name reaches the reader.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from classifiers import LABELS, NEGATIVE_LABELS
from monitor.errors import ConfigError
from monitor.formatting import age
from monitor.records import QueueFilter
from monitor.storage import Store
from monitor.storage.reports import (
    UNCLASSIFIED,
    HourVolume,
    ResponseKpi,
    detect_spikes,
    hourly_labels,
    labels_in_windows,
    open_legal,
    response_kpis,
)
from monitor.text_safety import for_header, one_line
from monitor.triage import LEGAL_PLAYBOOKS

TEMPLATES = Path(__file__).parent / "templates"
TOP_ITEMS = 5
LEGAL_SHOWN = 5
EXCERPT_CHARS = 140
ERROR_CHARS = 300
BASELINE_HOURS = 7 * 24  # spikes are judged against the week before each hour
SPIKE_K = 3.0
SPIKE_MIN_COUNT = 5
# Response times are for the items queued in the 24 hours before the digest, judged when it is made:
# reports.response_kpis reads the items' current states, so it can only judge as of now.
SLA_DAYS = 1
RTL_LANGUAGES = ("he", "iw", "yi", "ar", "fa", "ur", "mixed")  # "mixed": Hebrew and English, read as Hebrew


@dataclass(frozen=True)
class LabelCount:
    """New mentions carrying a label on the day, and on the day before."""

    label: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous


@dataclass(frozen=True)
class DigestItem:
    """An open queue item as the digest shows it; ``excerpt`` is one line of plain text (at most 140
    characters, hidden characters as markers: ``clean_text``), ``author`` the handle with its hidden
    characters as markers, and ``link`` opens the item on the dashboard."""

    id: int
    label: str | None
    priority: float
    virality: float | None
    platform: str
    author: str
    excerpt: str
    language: str | None
    status: str
    link: str


@dataclass(frozen=True)
class DigestLegalItem:
    """An open item that is with legal; ``age`` is how long it has been in the queue."""

    id: int
    playbook: str
    label: str
    status: str
    priority: float
    age: timedelta
    assignee: str | None
    link: str


@dataclass(frozen=True)
class Spike:
    """Consecutive hours of the day whose volume spiked: from ``start`` to ``end`` (local time), how
    many mentions they had, and the mean count per hour of the week of hours before the first."""

    start: datetime
    end: datetime
    count: int
    baseline_mean: float


@dataclass(frozen=True)
class SourceProblem:
    """A source that is not polling normally (failing, rate limited ...), with its last error."""

    name: str
    status: str
    last_error: str | None
    last_success_at: datetime | None


@dataclass(frozen=True)
class DigestSummary:
    """Everything one daily digest shows, in any language.

    ``day`` is a local date in ``timezone``; ``start`` and ``end`` are its bounds in UTC, and
    ``generated_at`` is when the summary was made, in local time. ``labels``
    has a row per classifier label (and one for unclassified mentions when there are any), ``total``
    counts every new mention and ``negative`` the complaints, defamation and boycott calls.
    """

    day: date
    timezone: str
    start: datetime
    end: datetime
    generated_at: datetime
    dashboard_url: str
    labels: tuple[LabelCount, ...]
    total: int
    previous_total: int
    negative: int
    previous_negative: int
    open_items: int
    top_items: tuple[DigestItem, ...]
    legal_count: int
    legal: tuple[DigestLegalItem, ...]
    sla: tuple[ResponseKpi, ...]
    hours: tuple[HourVolume, ...]
    spikes: tuple[Spike, ...]
    negative_spikes: tuple[Spike, ...]
    source_problems: tuple[SourceProblem, ...]
    # The audit chain's length and head hash when the digest was made: a copy of the head outside the
    # database, in every recipient's mailbox (README, Security).
    audit_events: int = 0
    audit_head: str = ""

    @property
    def spike_hours(self) -> frozenset[datetime]:
        """The starts of the hours in which all mentions, negative ones, or both spiked."""
        return frozenset(
            s.start + timedelta(hours=h)
            for s in (*self.spikes, *self.negative_spikes)
            for h in range(int((s.end - s.start).total_seconds()) // 3600)
        )

    @property
    def spike_count(self) -> int:
        """How many spikes the day had: runs of consecutive hours in which all mentions, negative ones,
        or both spiked (a surge of both in the same hours is one spike)."""
        hours = sorted(self.spike_hours)
        return sum(1 for i, h in enumerate(hours) if i == 0 or h - hours[i - 1] > timedelta(hours=1))


# -- collecting (reads the store) ------------------------------------------------------------------


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("naive datetime given as now: use timezone-aware UTC")
    return now.astimezone(UTC)


def day_bounds(now: datetime, tz: tzinfo) -> tuple[date, datetime, datetime]:
    """The last full local day in ``tz`` before ``now``, and its start and end in UTC (23 or 25 hours
    apart on the days the clocks change)."""
    day = _utc(now).astimezone(tz).date() - timedelta(days=1)
    return day, _local_midnight(day, tz), _local_midnight(day + timedelta(days=1), tz)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def _day_labels(store: Store, previous_start: datetime, start: datetime, end: datetime) -> list[LabelCount]:
    counts: dict[str, list[int]] = {label: [0, 0] for label in LABELS}
    for bucket, label, n in labels_in_windows(store, previous_start, start, end):
        counts.setdefault(label, [0, 0])[1 - bucket] = n
    return [
        LabelCount(label, today, before)
        for label, (today, before) in counts.items()
        if label in LABELS or today or before
    ]


def hourly_spikes(
    counts_by_hour: Sequence[int],
    *,
    baseline: int = BASELINE_HOURS,
    k: float = SPIKE_K,
    min_count: int = SPIKE_MIN_COUNT,
) -> list[int]:
    """Which hours after the first ``baseline`` ones spike, counted from the first hour after them.

    An hour spikes when it has at least ``min_count`` mentions and more than the mean plus ``k``
    standard deviations of the ``baseline`` hours just before it (``reports.detect_spikes``). With the
    default week of hours the baseline holds every hour of the day seven times, so a busy lunch hour
    is not a spike but an hour far above the week's busiest ones is. Each hour of a surge that lasts
    is reported while it stays far above the week before it.
    """
    return [i - baseline for i in detect_spikes(counts_by_hour, k=k, min_count=min_count, baseline=baseline)]


def _hours(store: Store, start: datetime, end: datetime) -> tuple[list[int], list[int]]:
    """Total and negative mentions per hour from ``BASELINE_HOURS`` before ``start`` to ``end``."""
    first = start - timedelta(hours=BASELINE_HOURS)
    n = int((end - first).total_seconds()) // 3600
    total, negative = [0] * n, [0] * n
    for hour, label, count in hourly_labels(store, first, end):
        total[hour] += count
        if label in NEGATIVE_LABELS:
            negative[hour] += count
    return total, negative


def _spikes(series: Sequence[int], starts: Sequence[datetime]) -> tuple[Spike, ...]:
    """The day's spikes in an hourly series that starts ``BASELINE_HOURS`` before the day, consecutive
    spiking hours joined; ``starts`` are the local starts of the day's hours."""
    out: list[Spike] = []
    previous = None
    for i in hourly_spikes(series):
        at = BASELINE_HOURS + i
        end = starts[i] + timedelta(hours=1)
        if out and previous == i - 1:
            out[-1] = Spike(out[-1].start, end, out[-1].count + series[at], out[-1].baseline_mean)
        else:
            out.append(Spike(starts[i], end, series[at], sum(series[i:at]) / BASELINE_HOURS))
        previous = i
    return tuple(out)


def clean_text(text: str | None, limit: int | None = None) -> str:
    """A post's ``text`` as one line of plain text: bidi overrides, embeddings and control characters
    shown as markers such as '⟨U+202E⟩', isolates and zero-width spaces removed, white space collapsed,
    and cut to at most ``limit`` characters (ending in "…" when cut): ``text_safety.one_line``."""
    return one_line(text, limit)


def item_link(dashboard_url: str, item_id: int) -> str:
    """The dashboard's page of an item."""
    return f"{dashboard_url.rstrip('/')}/item?id={item_id}"


def collect_digest(store: Store, now: datetime, tz: ZoneInfo, dashboard_url: str) -> DigestSummary:
    """Everything the digest made at ``now`` shows: the last full local day in ``tz`` (see
    ``day_bounds``) against the day before, and the queue as it is at ``now``.

    Volumes and spikes are about the day: new mentions per label (by the post's creation time, the
    business's own posts left out) and the runs of hours whose volume spiked against the week of hours
    before them (``hourly_spikes``). Response times and SLA breaches per platform are for the items
    queued in the 24 hours before ``now``, as they stand at ``now`` (``reports.response_kpis``). Top
    items (the five highest-priority open ones), items with legal (their number and the first five) and
    sources whose status is not ``ok`` are as they are at ``now``.
    ``ConfigError`` if ``dashboard_url`` is not an http(s) address.
    """
    now = _utc(now)
    if not dashboard_url.startswith(("http://", "https://")):
        raise ConfigError(f"REPMON_DASHBOARD_URL={dashboard_url!r} is not an http(s) address: set it")
    url = dashboard_url.rstrip("/")
    day, start, end = day_bounds(now, tz)
    previous_start = _local_midnight(day - timedelta(days=1), tz)

    labels = _day_labels(store, previous_start, start, end)
    total, negative = _hours(store, start, end)
    starts = [(start + timedelta(hours=i)).astimezone(tz) for i in range(len(total) - BASELINE_HOURS)]
    day_total, day_negative = total[BASELINE_HOURS:], negative[BASELINE_HOURS:]

    queue = store.queue(QueueFilter(), limit=TOP_ITEMS)
    top = tuple(
        DigestItem(
            id=q.id,
            label=q.label,
            priority=q.priority,
            virality=q.virality,
            platform=q.platform,
            author=for_header(q.author, 100),
            excerpt=clean_text(q.text, EXCERPT_CHARS),
            language=q.language,
            status=q.status,
            link=item_link(url, q.id),
        )
        for q in queue
    )
    legal = open_legal(store, now, LEGAL_PLAYBOOKS)
    chain = store.audit_head()
    return DigestSummary(
        day=day,
        timezone=str(getattr(tz, "key", tz)),
        start=start,
        end=end,
        generated_at=now.astimezone(tz),
        dashboard_url=url,
        labels=tuple(labels),
        total=sum(c.count for c in labels),
        previous_total=sum(c.previous for c in labels),
        negative=sum(c.count for c in labels if c.label in NEGATIVE_LABELS),
        previous_negative=sum(c.previous for c in labels if c.label in NEGATIVE_LABELS),
        open_items=store.queue_count(QueueFilter()),
        top_items=top,
        legal_count=len(legal),
        legal=tuple(
            DigestLegalItem(
                i.id, i.playbook, i.label, i.status, i.priority, i.age, i.assignee, item_link(url, i.id)
            )
            for i in legal[:LEGAL_SHOWN]
        ),
        sla=tuple(response_kpis(store, now, days=SLA_DAYS)),
        hours=tuple(HourVolume(s, t, n) for s, t, n in zip(starts, day_total, day_negative)),
        spikes=_spikes(total, starts),
        negative_spikes=_spikes(negative, starts),
        source_problems=tuple(
            SourceProblem(s.name, s.status, clean_text(s.last_error, ERROR_CHARS) or None, s.last_success_at)
            for s in store.sources()
            if s.status != "ok"
        ),
        audit_events=chain[0],
        audit_head=chain[1],
    )


# -- rendering (pure) ------------------------------------------------------------------------------

LANGUAGES = ("he", "en")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")  # fmt: skip
_HE_MONTHS = ("ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני", "יולי", "אוגוסט", "ספטמבר", "אוקטובר",
              "נובמבר", "דצמבר")  # fmt: skip
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HE_DAYS = ("יום שני", "יום שלישי", "יום רביעי", "יום חמישי", "יום שישי", "שבת", "יום ראשון")

# Every word the digest says, in each language; the templates hold layout only.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Daily digest",
        "mentions": "mentions",
        "negative": "negative",
        "for_legal": "for legal",
        "spikes": "spikes",
        "legal_note": "open now",
        "spikes_note": "unusual hours",
        "vs_before": "vs {n} on {day}",
        "open_overview": "Open the overview",
        "labels_title": "New mentions by label",
        "label": "Label",
        "change": "Change",
        "total": "Total",
        "of_them_negative": "of them negative",
        "hours_title": "Mentions per hour",
        "legend_all": "all mentions",
        "legend_negative": "negative",
        "legend_spike": "spiking hour",
        "top_title": "Open items with the highest risk",
        "top_count": "{shown} of {open} open items in the queue, highest priority first.",
        "queue_empty": "The queue is empty: nothing is waiting.",
        "priority": "priority",
        "virality": "virality",
        "open_item": "Open in dashboard",
        "legal_title": "With legal",
        "legal_count": "{n} open items are with legal.",
        "legal_count_one": "One open item is with legal.",
        "legal_more": "and {n} more on the dashboard's Legal review page.",
        "legal_none": "Nothing is waiting for legal.",
        "item": "Item",
        "status": "Status",
        "age": "In queue",
        "assignee": "Assignee",
        "unassigned": "unassigned",
        "sla_title": "Response times",
        "sla_note": "Items queued in the 24 hours before this digest, as they stand now.",
        "platform": "Platform",
        "queued": "Items",
        "responded": "Responded",
        "median": "Median first response",
        "breaches": "SLA missed",
        "sla_none": "No items were queued in the 24 hours before this digest.",
        "spikes_title": "Spikes",
        "spikes_none": "No unusual hours: every hour stayed within the range of the week before.",
        "spike_all": "All mentions",
        "spike_negative": "Negative mentions",
        "spike_line": "{hours}: {n} mentions (usually {mean} an hour)",
        "sources_title": "Sources",
        "sources_ok": "All sources are polling normally.",
        "last_worked": "last worked {ago} ago",
        "never_worked": "has not worked yet",
        "footer_why": "You receive this e-mail because your address is on the repmon daily digest list.",
        "footer_settings": "To stop it or to change its language or address, open the Account page of the "
        "dashboard:",
        "footer_day": "Day covered: {day}, {tz}. Made {made}.",
        "footer_audit": "Audit chain head: {head}, {events} events.",
    },
    "he": {
        "title": "סיכום יומי",
        "mentions": "אזכורים",
        "negative": "שליליים",
        "for_legal": "לטיפול משפטי",
        "spikes": "זינוקים",
        "legal_note": "פתוחים כעת",
        "spikes_note": "שעות חריגות",
        "vs_before": "לעומת {n} ב-{day}",
        "open_overview": "לסקירה בלוח הבקרה",
        "labels_title": "אזכורים חדשים לפי סיווג",
        "label": "סיווג",
        "change": "שינוי",
        "total": "סה״כ",
        "of_them_negative": "מהם שליליים",
        "hours_title": "אזכורים לפי שעה",
        "legend_all": "כל האזכורים",
        "legend_negative": "שליליים",
        "legend_spike": "שעת זינוק",
        "top_title": "הפריטים הפתוחים בסיכון הגבוה ביותר",
        "top_count": "{shown} מתוך {open} פריטים פתוחים בתור, לפי עדיפות.",
        "queue_empty": "התור ריק: אין פריטים ממתינים.",
        "priority": "עדיפות",
        "virality": "ויראליות",
        "open_item": "פתיחה בלוח הבקרה",
        "legal_title": "בטיפול משפטי",
        "legal_count": "{n} פריטים פתוחים נמצאים בטיפול משפטי.",
        "legal_count_one": "פריט פתוח אחד נמצא בטיפול משפטי.",
        "legal_more": "ועוד {n} בעמוד Legal review בלוח הבקרה.",
        "legal_none": "אין פריטים הממתינים לטיפול משפטי.",
        "item": "פריט",
        "status": "מצב",
        "age": "זמן בתור",
        "assignee": "באחריות",
        "unassigned": "לא שויך",
        "sla_title": "זמני תגובה",
        "sla_note": "פריטים שנכנסו לתור ב-24 השעות שלפני הפקת הסיכום, כפי שהם עומדים כעת.",
        "platform": "פלטפורמה",
        "queued": "פריטים",
        "responded": "נענו",
        "median": "חציון זמן תגובה ראשונה",
        "breaches": "חריגה מה-SLA",
        "sla_none": "לא נכנסו פריטים לתור ב-24 השעות שלפני הפקת הסיכום.",
        "spikes_title": "זינוקים",
        "spikes_none": "לא היו שעות חריגות: כל שעה נשארה בטווח של השבוע שקדם לה.",
        "spike_all": "כל האזכורים",
        "spike_negative": "אזכורים שליליים",
        "spike_line": "{hours}: {n} אזכורים (בדרך כלל {mean} בשעה)",
        "sources_title": "מקורות",
        "sources_ok": "כל המקורות נאספים כרגיל.",
        "last_worked": "עבד לאחרונה לפני {ago}",
        "never_worked": "טרם עבד",
        "footer_why": "קיבלת הודעה זו כי כתובתך רשומה לקבלת הסיכום היומי של repmon.",
        "footer_settings": "להפסקת הסיכום או לשינוי השפה או הכתובת, יש לפתוח את עמוד Account (החשבון) בלוח "
        "הבקרה:",
        "footer_day": "היום המסוכם: {day}, {tz}. הופק {made}.",
        "footer_audit": "ראש שרשרת הביקורת: {head}, {events} אירועים.",
    },
}
_NAMES: dict[str, dict[str, str]] = {
    "en": {
        UNCLASSIFIED: "not classified yet",
        "in_progress": "in progress",
        "awaiting_approval": "awaiting approval",
        "legal_review": "legal review",
        "escalate_legal": "escalate to legal",
        "crisis": "crisis response",
        "rate_limited": "rate limited",
        "x": "X",
        "facebook": "Facebook",
    },
    "he": {
        "praise": "שבח",
        "neutral": "ניטרלי",
        "complaint": "תלונה",
        "defamation": "לשון הרע",
        "boycott": "קריאה לחרם",
        UNCLASSIFIED: "טרם סווג",
        "new": "חדש",
        "in_progress": "בטיפול",
        "awaiting_approval": "ממתין לאישור",
        "responded": "נענה",
        "resolved": "נפתר",
        "escalated": "הועבר למשפטי",
        "legal_review": "בבדיקה משפטית",
        "decided": "הוחלט",
        "closed": "סגור",
        "dismissed": "נדחה",
        "escalate_legal": "העברה לטיפול משפטי",
        "crisis": "ניהול משבר",
        "failing": "נכשל",
        "rate_limited": "הגבלת קצב",
        "x": "X",
        "facebook": "Facebook",
    },
}
# Arrow colours: more praise is good news, more of anything negative is bad news.
_GOOD, _BAD, _FLAT = "#1e7b45", "#c0392b", "#6b7280"
LABEL_COLORS = {
    "praise": "#1e7b45",
    "neutral": "#6b7280",
    "complaint": "#c76a00",
    "defamation": "#7c3aed",
    "boycott": "#c0392b",
    UNCLASSIFIED: "#9ca3af",
}


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"digest language {language!r} is not one of {', '.join(LANGUAGES)}")
    return language


def short_day(day: date, language: str) -> str:
    """'22 Nov' in English, '22.11' in Hebrew."""
    return (
        f"{day.day}.{day.month}"
        if _language(language) == "he"
        else f"{day.day} {_EN_MONTHS[day.month - 1][:3]}"
    )


def long_day(day: date, language: str) -> str:
    """'Sunday 22 November 2026', 'יום ראשון, 22 בנובמבר 2026'."""
    if _language(language) == "he":
        return f"{_HE_DAYS[day.weekday()]}, {day.day} ב{_HE_MONTHS[day.month - 1]} {day.year}"
    return f"{_EN_DAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def _volume_phrase(total: int, negative: int, language: str) -> str:
    if language == "he":
        mentions = "אזכור אחד" if total == 1 else f"{total} אזכורים"
        return f"{mentions} ({'שלילי אחד' if negative == 1 else f'{negative} שליליים'})"
    return f"{total} mention{'' if total == 1 else 's'} ({negative} negative)"


def headline(summary: DigestSummary, language: str) -> str:
    """The day's headline numbers in words: mentions, negative ones, items with legal and spikes, e.g.
    '37 mentions (12 negative), 2 for legal, 1 spike'."""
    volume = _volume_phrase(summary.total, summary.negative, _language(language))
    legal, spikes = summary.legal_count, summary.spike_count
    if language == "he":
        spiked = {0: "ללא זינוקים", 1: "זינוק אחד"}.get(spikes, f"{spikes} זינוקים")
        return f"{volume}, {legal} לטיפול משפטי, {spiked}"
    spiked = {0: "no spikes", 1: "1 spike"}.get(spikes, f"{spikes} spikes")
    return f"{volume}, {legal} for legal, {spiked}"


def digest_subject(summary: DigestSummary, language: str) -> str:
    """The subject line: the day and its headline numbers, e.g. 'repmon daily digest 22 Nov: 37 mentions
    (12 negative), 2 for legal, 1 spike' or 'סיכום יומי repmon 22.11: 37 אזכורים (12 שליליים), ...'."""
    prefix = "סיכום יומי repmon" if _language(language) == "he" else "repmon daily digest"
    return f"{prefix} {short_day(summary.day, language)}: {headline(summary, language)}"


def message_id(day: date, recipient: str) -> str:
    """The digest's Message-ID for a day and a recipient: the same for a repeated send (so mail clients
    show it once), different for each mailbox (compared without case) and each day."""
    address = (parseaddr(recipient)[1] or recipient).strip().lower()
    return (
        f"<repmon-digest-{day.isoformat()}-{hashlib.sha256(address.encode()).hexdigest()[:16]}@repmon.local>"
    )


def text_direction(text: str, language: str | None = None) -> str:
    """``rtl`` or ``ltr`` for a piece of text: from its language when known (Hebrew and mixed posts are
    right-to-left), else from its first letter, as ``dir="auto"`` would (not every mail client has it)."""
    if language in RTL_LANGUAGES:
        return "rtl"
    if language == "en":
        return "ltr"
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


@dataclass(frozen=True)
class _Change:
    """A day-over-day change as shown: arrow and number, and its colour."""

    text: str
    color: str


def _change(count: int, before: int, label: str | None = None) -> _Change:
    diff = count - before
    if diff == 0:
        return _Change("=", _FLAT)
    if label == "praise":
        color = _GOOD if diff > 0 else _BAD
    elif label in NEGATIVE_LABELS or label == "negative":
        color = _BAD if diff > 0 else _GOOD
    else:
        color = _FLAT
    return _Change(f"▲ {diff}" if diff > 0 else f"▼ {-diff}", color)


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=lambda name: (name or "").endswith(".html.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["inert"] = lambda text, limit=None: clean_text(str(text) if text is not None else "", limit)
    # a name (handle, assignee, source): every hidden character as a marker, one line
    env.filters["shown_name"] = lambda text, limit=None: for_header(
        str(text) if text is not None else "", limit
    )
    return env


def _context(summary: DigestSummary, language: str) -> dict[str, object]:
    t = TEXTS[language]
    names = _NAMES[language]
    rtl = language == "he"
    day, before = short_day(summary.day, language), short_day(summary.day - timedelta(days=1), language)
    peak = max((h.total for h in summary.hours), default=0)

    def name(key: str | None) -> str:
        return names.get(key or UNCLASSIFIED, (key or UNCLASSIFIED).replace("_", " "))

    def bar(count: int) -> int:
        return round(64 * count / peak) if peak else 0

    def hour_range(start: datetime) -> str:
        return f"{start:%H:%M}–{start + timedelta(hours=1):%H:%M}"

    def fmt(key: str, **values: object) -> str:
        return t[key].format(**values)

    def spike_line(s: Spike) -> str:
        hours = f"{s.start:%H:%M}–{s.end:%H:%M}"
        return fmt("spike_line", hours=hours, n=s.count, mean=f"{s.baseline_mean:.1f}")

    def worked(source: SourceProblem) -> str:
        if source.last_success_at is None:
            return t["never_worked"]
        return fmt("last_worked", ago=age((summary.generated_at - source.last_success_at).total_seconds()))

    return {
        "s": summary,
        "t": t,
        "lang": language,
        "dir": "rtl" if rtl else "ltr",
        "start": "right" if rtl else "left",
        "end": "left" if rtl else "right",
        "subject": digest_subject(summary, language),
        "headline": headline(summary, language),
        "previous_volume": _volume_phrase(summary.previous_total, summary.previous_negative, language),
        "day": day,
        "before": before,
        "long_day": long_day(summary.day, language),
        "name": name,
        "color": lambda label: LABEL_COLORS.get(label or UNCLASSIFIED, _FLAT),
        "change": _change,
        "fmt": fmt,
        "bar": bar,
        "hour_range": hour_range,
        "spike_line": spike_line,
        "spike_hours": summary.spike_hours,
        "worked": worked,
        "direction": text_direction,
        "duration": lambda seconds: "—" if seconds is None else age(seconds),
        "percent": lambda rate: "—" if rate is None else f"{rate:.0%}",
        "number": lambda value: "—" if value is None else f"{value:.0f}",
        "made": f"{short_day(summary.generated_at.date(), language)} {summary.generated_at:%H:%M}",
        "overview": f"{summary.dashboard_url}/overview",
        "account": f"{summary.dashboard_url}/account",
    }


def render_digest(summary: DigestSummary, language: str, sender: str, recipient: str) -> EmailMessage:
    """The digest as an e-mail to one recipient, in Hebrew (``he``, right-to-left) or English (``en``).

    multipart/alternative: a text/plain and a text/html part, both UTF-8. The HTML is self-contained
    (inline styles, tables, no images, scripts or external resources) and every text from a post,
    author or source is escaped and cleaned of bidi controls. Headers: From, To, Subject (the day's
    headline numbers), Date (when the summary was made), Content-Language and a Message-ID that is the
    same for the same day and recipient (``message_id``). Pure: no I/O beyond reading the templates.
    """
    language = _language(language)
    context = _context(summary, language)
    env = _environment()
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = digest_subject(summary, language)
    msg["Date"] = format_datetime(summary.generated_at)
    msg["Message-ID"] = message_id(summary.day, recipient)
    # Base64 keeps Hebrew compact and any line length safe; English reads fine as quoted-printable. Either
    # way the message is 7-bit clean, whatever the SMTP server supports.
    cte = "base64" if language == "he" else "quoted-printable"
    text = env.get_template("digest.txt.j2").render(context)
    msg.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    msg.add_alternative(
        env.get_template("digest.html.j2").render(context), subtype="html", charset="utf-8", cte=cte
    )
    msg["Content-Language"] = language  # after the content: set_content clears Content-* headers
    return msg
