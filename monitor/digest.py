"""The owners' daily digest: what happened on the last full day, in one e-mail (Hebrew or English).

``collect_digest`` reads the store into a ``DigestSummary`` (the only I/O here); ``render_digest`` turns a
summary into an ``EmailMessage`` (pure); ``monitor.mailer`` sends it once per recipient.

*The day* is the last full local day in the configured time zone before the digest runs: run at 08:00
Asia/Jerusalem on 23 November, it covers 22 November 00:00 to 23 November 00:00 local time (22:00 to
22:00 UTC in winter), and compares it with 21 November. Its counts, hourly spikes and response times
are about that day only, so a repeated run gives the same numbers. The queue sections (top open items,
items with legal, failing sources) show the state when the digest is made: that is what needs doing.

Post texts are hostile: the HTML template escapes everything (Jinja2 autoescape), every excerpt loses
its bidi override and isolate controls, and each sits in its own ``dir`` box, so no markup, image,
script or reordering trick from a post reaches the reader.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import ColumnElement, FunctionElement, Integer, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from classifiers import LABELS, NEGATIVE_LABELS
from monitor.errors import ConfigError
from monitor.formatting import age
from monitor.records import QueueFilter
from monitor.reports import UNCLASSIFIED, ResponseKpi, detect_spikes, open_legal, response_kpis
from monitor.storage import Store
from monitor.storage.models import ClassificationRow, CorrectionRow, MentionRow

TEMPLATES = Path(__file__).parent / "templates"
TOP_ITEMS = 5
LEGAL_SHOWN = 5
EXCERPT_CHARS = 140
ERROR_CHARS = 300
BASELINE_HOURS = 7 * 24  # spikes are judged against the week before each hour
SPIKE_K = 3.0
SPIKE_MIN_COUNT = 5
RTL_LANGUAGES = ("he", "iw", "yi", "ar", "fa", "ur", "mixed")  # "mixed": Hebrew and English, read as Hebrew

# Invisible characters that reorder or hide text: bidi embeddings, overrides and isolates (a post can
# make "bad" read "dab"), plus zero-width spaces, the byte-order mark and the word joiner.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")


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
    characters, invisible controls removed) and ``link`` opens the item on the dashboard."""

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
class HourVolume:
    """New mentions in one hour of the day (``start`` is local time), all and negative ones."""

    start: datetime
    total: int
    negative: int


@dataclass(frozen=True)
class SpikeHour:
    """An hour of the day whose volume spiked: its local start, its count, and the mean count of the
    week of hours before it."""

    start: datetime
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

    ``day`` is a local date in ``timezone``; ``start`` and ``end`` are its bounds in UTC. ``labels``
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
    spikes: tuple[SpikeHour, ...]
    negative_spikes: tuple[SpikeHour, ...]
    source_problems: tuple[SourceProblem, ...]

    @property
    def spike_count(self) -> int:
        """Hours of the day in which all mentions, negative ones, or both spiked."""
        return len({s.start for s in self.spikes} | {s.start for s in self.negative_spikes})


# -- collecting (reads the store) ------------------------------------------------------------------


class _EpochSeconds(FunctionElement):
    """Whole seconds since 1970-01-01 of a stored (naive UTC) timestamp, as an INTEGER."""

    type = Integer()
    inherit_cache = True


@compiles(_EpochSeconds)
def _epoch_seconds(element: _EpochSeconds, compiler: SQLCompiler, **kw: object) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(_EpochSeconds, "sqlite")
def _epoch_seconds_sqlite(element: _EpochSeconds, compiler: SQLCompiler, **kw: object) -> str:
    # Cut the stored 'YYYY-MM-DD HH:MM:SS.ffffff' to whole seconds first: SQLite rounds to milliseconds,
    # which would move 23:59:59.9999 into the next hour (and the next day).
    return f"CAST(strftime('%s', substr({compiler.process(element.clauses, **kw)}, 1, 19)) AS INTEGER)"


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


def _label_counts(store: Store, start: datetime, end: datetime, bucket: ColumnElement[int]) -> list[tuple]:
    """(bucket, label, count) of the mentions created in [start, end), where ``bucket`` is an integer
    expression over ``MentionRow.created_at``; the business's own posts are left out.

    A mention's label is that of reports: its latest correction, else its latest classification, else
    unclassified; found with joins, as reports.volume_by_day does, to stay one aggregate query.
    """
    window = (
        select(MentionRow.id.label("mention_id"), bucket.label("bucket"))
        .where(MentionRow.created_at >= start, MentionRow.created_at < end, MentionRow.from_business.is_(False))
        .subquery()
    )
    latest_classification = (
        select(ClassificationRow.mention_id, func.max(ClassificationRow.id).label("id"))
        .join(window, window.c.mention_id == ClassificationRow.mention_id)
        .group_by(ClassificationRow.mention_id)
        .subquery()
    )
    latest_correction = (
        select(CorrectionRow.mention_id, func.max(CorrectionRow.id).label("id"))
        .join(window, window.c.mention_id == CorrectionRow.mention_id)
        .group_by(CorrectionRow.mention_id)
        .subquery()
    )
    per_mention = (
        select(
            window.c.bucket,
            func.coalesce(CorrectionRow.label, ClassificationRow.label, UNCLASSIFIED).label("label"),
        )
        .select_from(window)
        .outerjoin(latest_classification, latest_classification.c.mention_id == window.c.mention_id)
        .outerjoin(ClassificationRow, ClassificationRow.id == latest_classification.c.id)
        .outerjoin(latest_correction, latest_correction.c.mention_id == window.c.mention_id)
        .outerjoin(CorrectionRow, CorrectionRow.id == latest_correction.c.id)
        .subquery()
    )
    q = (
        select(per_mention.c.bucket, per_mention.c.label, func.count())
        .group_by(per_mention.c.bucket, per_mention.c.label)
        .order_by(per_mention.c.bucket, per_mention.c.label)
    )
    with store.session() as s:
        return [tuple(row) for row in s.execute(q)]


def _day_labels(store: Store, previous_start: datetime, start: datetime, end: datetime) -> list[LabelCount]:
    in_day = case((MentionRow.created_at >= start, 1), else_=0)
    counts: dict[str, list[int]] = {label: [0, 0] for label in LABELS}
    for bucket, label, n in _label_counts(store, previous_start, end, in_day):
        counts.setdefault(label, [0, 0])[1 - bucket] = n
    return [LabelCount(label, today, before) for label, (today, before) in counts.items() if today or before or label in LABELS]


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
    is not a spike but an hour far above the week's busiest ones is. A level that holds is reported
    when it starts.
    """
    return [i - baseline for i in detect_spikes(counts_by_hour, k=k, min_count=min_count, baseline=baseline)]


def _hours(store: Store, start: datetime, end: datetime, tz: tzinfo) -> tuple[list[int], list[int]]:
    """Total and negative mentions per hour from ``BASELINE_HOURS`` before ``start`` to ``end``."""
    first = start - timedelta(hours=BASELINE_HOURS)
    n = int((end - first).total_seconds()) // 3600
    bucket = (_EpochSeconds(MentionRow.created_at) - literal(int(first.timestamp()), Integer)) // 3600
    total, negative = [0] * n, [0] * n
    for hour, label, count in _label_counts(store, first, end, bucket):
        total[hour] += count
        if label in NEGATIVE_LABELS:
            negative[hour] += count
    return total, negative


def _spike_hours(series: Sequence[int], starts: Sequence[datetime]) -> tuple[SpikeHour, ...]:
    out = []
    for i in hourly_spikes(series):
        at = BASELINE_HOURS + i
        before = series[at - BASELINE_HOURS : at]
        out.append(SpikeHour(starts[i], series[at], sum(before) / len(before)))
    return tuple(out)


def clean_text(text: str | None, limit: int | None = None) -> str:
    """``text`` as one line of plain text: bidi controls, zero-width and control characters removed,
    white space collapsed, and cut to at most ``limit`` characters (ending in "…" when cut)."""
    if not text:
        return ""
    text = _INVISIBLE.sub("", text)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    flat = " ".join(text.split())
    if limit is None or len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


def item_link(dashboard_url: str, item_id: int) -> str:
    """The dashboard's page of an item."""
    return f"{dashboard_url.rstrip('/')}/item?id={item_id}"


def collect_digest(store: Store, now: datetime, tz: ZoneInfo, dashboard_url: str) -> DigestSummary:
    """Everything the digest made at ``now`` shows: the last full local day in ``tz`` (see
    ``day_bounds``) against the day before, and the queue as it is at ``now``.

    Volumes, spikes and response times are about the day: new mentions per label (by creation time),
    the hours whose volume spiked against the week of hours before them, and first-response times and
    SLA breaches per platform for the items queued in the 24 hours up to the day's end, as they stood
    at its end (``reports.response_kpis``). Top items (the five highest-priority open ones), items with
    legal (their number and the first five) and sources that are not ``ok`` are as they are at ``now``.
    ``ConfigError`` if ``dashboard_url`` is not an http(s) address.
    """
    now = _utc(now)
    if not dashboard_url.startswith(("http://", "https://")):
        raise ConfigError(f"REPMON_DASHBOARD_URL={dashboard_url!r} is not an http(s) address: set it")
    url = dashboard_url.rstrip("/")
    day, start, end = day_bounds(now, tz)
    previous_start = _local_midnight(day - timedelta(days=1), tz)

    labels = _day_labels(store, previous_start, start, end)
    total, negative = _hours(store, start, end, tz)
    starts = [
        (start + timedelta(hours=i)).astimezone(tz) for i in range(len(total) - BASELINE_HOURS)
    ]
    day_total, day_negative = total[BASELINE_HOURS:], negative[BASELINE_HOURS:]

    queue = store.queue(QueueFilter(), limit=TOP_ITEMS)
    top = tuple(
        DigestItem(
            id=q.id,
            label=q.label,
            priority=q.priority,
            virality=q.virality,
            platform=q.platform,
            author=clean_text(q.author, 100),
            excerpt=clean_text(q.text, EXCERPT_CHARS),
            language=q.language,
            status=q.status,
            link=item_link(url, q.id),
        )
        for q in queue
    )
    legal = open_legal(store, now)
    return DigestSummary(
        day=day,
        timezone=str(getattr(tz, "key", tz)),
        start=start,
        end=end,
        generated_at=now,
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
        sla=tuple(response_kpis(store, end, days=1)),
        hours=tuple(HourVolume(s, t, n) for s, t, n in zip(starts, day_total, day_negative)),
        spikes=_spike_hours(total, starts),
        negative_spikes=_spike_hours(negative, starts),
        source_problems=tuple(
            SourceProblem(s.name, s.status, clean_text(s.last_error, ERROR_CHARS) or None, s.last_success_at)
            for s in store.sources()
            if s.status != "ok"
        ),
    )
