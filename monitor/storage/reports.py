"""What the Overview page (and the owners' daily digest) shows: mention volume by label, the negative share,
spikes, response times against the SLA, the most viral open items and what sits with legal.

The queries aggregate in SQL (GROUP BY) and return small frozen records: nothing loads a table into
Python. On SQLite and PostgreSQL alike, each takes well under half a second over 100,000 mentions. What
is done with their results (the negative share, spike detection) is pure and takes the records as
arguments.

A mention's label is the latest correction's label if a person corrected it, else the label of its latest
classification, else ``"unclassified"``. Days are UTC days (timestamps are stored as naive UTC). The
business's own posts are thread context, not mentions of it, and are left out of the volume.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Date, FunctionElement, Integer, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler

from classifiers import NEGATIVE_LABELS
from monitor.errors import InputError
from monitor.records import AWAITING_FIRST_RESPONSE, OPEN_STATUSES, STATES, Status
from monitor.storage.models import AuditEventRow, ClassificationRow, CorrectionRow, MentionRow, TriageItemRow
from monitor.storage.store import Store

UNCLASSIFIED = "unclassified"
# escalate_legal is owned by legal; a crisis is led by the owner with legal in the loop on every public word.
LEGAL_STATUSES = (Status.ESCALATED, Status.LEGAL_REVIEW)
EXCERPT_CHARS = 140
# Nearly every item is open, so "open" is asked as "not closed": walking the status index for the open
# states would visit almost the whole table one row at a time, where a plain scan is several times faster.
CLOSED_STATUSES = tuple(s for s in STATES if s not in OPEN_STATUSES)


@dataclass(frozen=True)
class DayVolume:
    """How many mentions created on a UTC day carry a label."""

    day: date
    label: str
    count: int


@dataclass(frozen=True)
class DailySpikes:
    """The days whose volume spikes: of all mentions, and of negative ones."""

    mentions: tuple[date, ...]
    negative: tuple[date, ...]


@dataclass(frozen=True)
class ResponseKpi:
    """How fast a platform's items got their first public response, and how often the SLA was missed.

    ``median_first_response_s`` runs from the post's creation to the first ``respond`` (None when nothing
    was answered). ``sla_breach_rate`` is over the items whose SLA outcome is known: dismissed items and
    items still awaiting a response before their due time are left out (None when none is left).
    """

    platform: str
    items: int
    responded: int
    median_first_response_s: float | None
    sla_breach_rate: float | None


@dataclass(frozen=True)
class ViralItem:
    """An open item spreading fast, with enough of its post to recognise it."""

    id: int
    platform: str
    label: str
    virality: float
    forecast_24h: float | None
    author: str
    excerpt: str


@dataclass(frozen=True)
class LegalItem:
    """An open item that is with legal; ``age`` is how long it has been in the queue."""

    id: int
    playbook: str
    label: str
    status: str
    priority: float
    age: timedelta
    assignee: str | None


class _UtcDay(FunctionElement):
    """The UTC day of a stored (naive UTC) timestamp, as a DATE."""

    type = Date()
    inherit_cache = True


@compiles(_UtcDay)
def _utc_day_cast(element: _UtcDay, compiler: SQLCompiler, **kw: object) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(_UtcDay, "sqlite")
def _utc_day_sqlite(element: _UtcDay, compiler: SQLCompiler, **kw: object) -> str:
    # SQLite's CAST(... AS DATE) is numeric (it yields the year); date() gives 'YYYY-MM-DD', which the
    # Date type reads back as a date.
    return f"date({compiler.process(element.clauses, **kw)})"


class EpochSeconds(FunctionElement):
    """Whole seconds since 1970-01-01 of a stored (naive UTC) timestamp, as an INTEGER."""

    type = Integer()
    inherit_cache = True


@compiles(EpochSeconds)
def _epoch_seconds(element: EpochSeconds, compiler: SQLCompiler, **kw: object) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(EpochSeconds, "sqlite")
def _epoch_seconds_sqlite(element: EpochSeconds, compiler: SQLCompiler, **kw: object) -> str:
    # Cut the stored 'YYYY-MM-DD HH:MM:SS.ffffff' to whole seconds first: SQLite rounds to milliseconds,
    # which would move 23:59:59.9999 into the next hour (and the next day).
    return f"CAST(strftime('%s', substr({compiler.process(element.clauses, **kw)}, 1, 19)) AS INTEGER)"


@dataclass(frozen=True)
class HourVolume:
    """Mentions created in the hour from ``start``: all of them, and the negative ones."""

    start: datetime
    total: int
    negative: int


def first_mention_at(store: Store) -> datetime | None:
    """When the oldest stored mention was posted (None for an empty database)."""
    with store.session() as s:
        return s.scalar(select(func.min(MentionRow.created_at)))


def hourly_volume(store: Store, start: datetime, end: datetime) -> list[HourVolume]:
    """Every UTC hour from ``start`` (rounded down) up to ``end`` (exclusive), zero-filled, oldest first.

    Counts the queued mentions (the business's own posts are not queued), by the label they were
    triaged on (a correction wins); one aggregate query.
    """
    first = _utc(start).replace(minute=0, second=0, microsecond=0)
    end = _utc(end)
    hour = (EpochSeconds(MentionRow.created_at) - literal(int(first.timestamp()), Integer)) // 3600
    negative = func.sum(case((TriageItemRow.label.in_(NEGATIVE_LABELS), 1), else_=0))
    q = (
        select(hour, func.count(TriageItemRow.id), negative)
        .join(MentionRow, MentionRow.id == TriageItemRow.mention_id)
        .where(MentionRow.created_at >= first, MentionRow.created_at < end)
        .group_by(hour)
    )
    with store.session() as s:
        found = {int(h): (int(t), int(n or 0)) for h, t, n in s.execute(q)}
    hours = -(-int((end - first).total_seconds()) // 3600)
    return [HourVolume(first + timedelta(hours=i), *found.get(i, (0, 0))) for i in range(hours)]


def _label_of(mention_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[str]:
    """A mention's label in SQL: latest correction, else latest classification, else unclassified.

    One indexed look-up per row, for queries that return few rows (volume_by_day joins instead).
    """
    corrected = (
        select(CorrectionRow.label)
        .where(CorrectionRow.mention_id == mention_id)
        .order_by(CorrectionRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    classified = (
        select(ClassificationRow.label)
        .where(ClassificationRow.mention_id == mention_id)
        .order_by(ClassificationRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(corrected, classified, UNCLASSIFIED)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise InputError("naive datetime given as now: use timezone-aware UTC")
    return now.astimezone(UTC)


def window_days(now: datetime, days: int) -> list[date]:
    """The last ``days`` UTC days up to and including the day of ``now``, oldest first."""
    if days < 1:
        raise InputError(f"a window needs at least one day, not {days}")
    today = _utc(now).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def label_counts(store: Store, start: datetime, end: datetime, bucket: ColumnElement[int]) -> list[tuple]:
    """(bucket, label, count) of the mentions created in [start, end), where ``bucket`` is an integer
    expression over ``MentionRow.created_at``; the business's own posts are left out.

    A mention's label is its latest correction, else its latest classification, else unclassified. The
    rule is applied with joins rather than a look-up per mention: over tens of thousands of mentions
    PostgreSQL hashes them, twice as fast, and SQLite takes about as long either way.
    """
    window = (
        select(MentionRow.id.label("mention_id"), bucket.label("bucket"))
        .where(
            MentionRow.created_at >= start, MentionRow.created_at < end, MentionRow.from_business.is_(False)
        )
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


def labels_in_windows(
    store: Store, previous_start: datetime, start: datetime, end: datetime
) -> list[tuple[int, str, int]]:
    """(window, label, count) for mentions created in [previous_start, start) (window 0) and
    [start, end) (window 1): a day against the day before it."""
    rows = label_counts(store, previous_start, end, case((MentionRow.created_at >= start, 1), else_=0))
    return [(int(w), label, n) for w, label, n in rows]


def hourly_labels(store: Store, first: datetime, end: datetime) -> list[tuple[int, str, int]]:
    """(hour index from ``first``, label, count) for mentions created in [first, end)."""
    bucket = (EpochSeconds(MentionRow.created_at) - literal(int(first.timestamp()), Integer)) // 3600
    return [(int(h), label, n) for h, label, n in label_counts(store, first, end, bucket)]


def volume_by_day(store: Store, now: datetime, days: int = 14) -> list[DayVolume]:
    """Mentions created on each UTC day of the window (up to ``now``), per label, ordered by day then label.

    Only (day, label) pairs that have mentions are returned: a quiet day has no rows. Zero-fill over
    ``window_days(now, days)`` where a continuous series is needed (``daily_spikes`` does).
    """
    now = _utc(now)
    start = datetime.combine(window_days(now, days)[0], time(), UTC)
    rows = label_counts(store, start, now + timedelta(microseconds=1), _UtcDay(MentionRow.created_at))
    return [DayVolume(day, label, count) for day, label, count in rows]


def negative_share(volumes: Iterable[DayVolume]) -> dict[date, float]:
    """Each day's share of negative mentions among its classified ones (complaint, defamation, boycott).

    Unclassified mentions are left out: they are the newest ones, waiting for the next pass, and would
    make today look calmer than it is. A day with no classified mention has no share (no key).
    """
    negative: dict[date, int] = defaultdict(int)
    classified: dict[date, int] = defaultdict(int)
    for v in volumes:
        if v.label == UNCLASSIFIED:
            continue
        classified[v.day] += v.count
        if v.label in NEGATIVE_LABELS:
            negative[v.day] += v.count
    return {day: negative[day] / total for day, total in sorted(classified.items()) if total}


def detect_spikes(counts: Sequence[int], k: float = 3.0, min_count: int = 5, baseline: int = 7) -> list[int]:
    """Indices of buckets whose count is above the mean plus ``k`` standard deviations (population) of
    the ``baseline`` buckets just before it, and at least ``min_count``.

    The first ``baseline`` buckets have no full baseline and are never spikes. A spike stays in the
    baseline of the buckets after it, so a level that holds is reported once, when it starts. The
    buckets must be contiguous (a quiet bucket is a zero, not missing).
    """
    if baseline < 1:
        raise InputError(f"a spike baseline needs at least one bucket, not {baseline}")
    spikes = []
    for i in range(baseline, len(counts)):
        before = counts[i - baseline : i]
        mean = statistics.fmean(before)
        if counts[i] >= min_count and counts[i] > mean + k * statistics.pstdev(before, mean):
            spikes.append(i)
    return spikes


def daily_spikes(
    volumes: Iterable[DayVolume],
    days: Sequence[date],
    *,
    k: float = 3.0,
    min_count: int = 5,
    baseline: int = 7,
    history_start: date | None = None,
) -> DailySpikes:
    """The days (of ``days``, contiguous and oldest first) whose total and whose negative volume spike.

    Days missing from ``volumes`` count as zero. Fetch ``baseline`` more days than are to be judged.
    With ``history_start`` (the first day the monitor has data for), a day is judged only when its whole
    baseline lies on or after it: days before the monitor existed are not a quiet baseline.
    """
    total = dict.fromkeys(days, 0)
    negative = dict.fromkeys(days, 0)
    for v in volumes:
        if v.day in total:
            total[v.day] += v.count
            if v.label in NEGATIVE_LABELS:
                negative[v.day] += v.count

    def spiking(series: dict[date, int]) -> tuple[date, ...]:
        found = detect_spikes([series[d] for d in days], k=k, min_count=min_count, baseline=baseline)
        return tuple(
            days[i]
            for i in found
            if history_start is None or days[i] - timedelta(days=baseline) >= history_start
        )

    return DailySpikes(mentions=spiking(total), negative=spiking(negative))


def response_kpis(store: Store, now: datetime, days: int = 30) -> list[ResponseKpi]:
    """First-response time and SLA breach rate per platform, for items queued in the last ``days`` days
    (a rolling window ending at ``now``), ordered by platform.

    The first response is an item's earliest ``respond`` event. It is timed from the post's creation,
    which is what the author waited (the poll's lag included). An item breached its SLA if that response
    came after ``sla_due_at``, or if none came, the due time has passed and the item still awaits one.
    """
    now = _utc(now)
    start = now - timedelta(days=days)
    first = (
        select(AuditEventRow.item_id, func.min(AuditEventRow.at).label("at"))
        .where(AuditEventRow.action == "respond", AuditEventRow.at >= start, AuditEventRow.at <= now)
        .group_by(AuditEventRow.item_id)
        .subquery()
    )
    t = TriageItemRow
    dismissed = t.status == Status.DISMISSED
    awaiting = first.c.at.is_(None) & t.status.in_(AWAITING_FIRST_RESPONSE)
    breached = case(
        (dismissed, 0),
        (first.c.at.is_not(None) & (first.c.at > t.sla_due_at), 1),
        (awaiting & (t.sla_due_at < now), 1),
        else_=0,
    )
    undecided = case((dismissed, 1), (awaiting & (t.sla_due_at >= now), 1), else_=0)
    in_window = (t.created_at >= start) & (t.created_at <= now)
    counts = (
        select(
            MentionRow.platform,
            func.count(),
            func.count(first.c.at),
            func.sum(breached),
            func.sum(undecided),
        )
        .select_from(t)
        .join(MentionRow, MentionRow.id == t.mention_id)
        .outerjoin(first, first.c.item_id == t.id)
        .where(in_window)
        .group_by(MentionRow.platform)
        .order_by(MentionRow.platform)
    )
    # One row per answered item: bounded by the responses people wrote in the window.
    answered = (
        select(MentionRow.platform, MentionRow.created_at, first.c.at)
        .select_from(t)
        .join(MentionRow, MentionRow.id == t.mention_id)
        .join(first, first.c.item_id == t.id)
        .where(in_window)
    )
    with store.session() as s:
        rows = s.execute(counts).all()
        waits: dict[str, list[float]] = defaultdict(list)
        for platform, created_at, responded_at in s.execute(answered):
            waits[platform].append((responded_at - created_at).total_seconds())
    out = []
    for platform, items, responded, breaches, undecided_n in rows:
        known = items - undecided_n
        out.append(
            ResponseKpi(
                platform=platform,
                items=items,
                responded=responded,
                median_first_response_s=statistics.median(waits[platform]) if waits[platform] else None,
                sla_breach_rate=breaches / known if known else None,
            )
        )
    return out


def _excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[: chars - 1].rstrip() + "…"


def top_viral(store: Store, now: datetime, limit: int = 10, days: int = 7) -> list[ViralItem]:
    """Open items on posts created in the last ``days`` days, most viral first (then by the 24-hour
    forecast); items not scored for virality yet are left out."""
    since = _utc(now) - timedelta(days=days)
    q = (
        select(
            TriageItemRow.id,
            MentionRow.platform,
            _label_of(MentionRow.id),
            TriageItemRow.virality,
            TriageItemRow.forecast_24h,
            MentionRow.author_handle,
            MentionRow.text,
        )
        .join(MentionRow, MentionRow.id == TriageItemRow.mention_id)
        .where(
            TriageItemRow.status.not_in(CLOSED_STATUSES),
            TriageItemRow.virality.is_not(None),
            MentionRow.created_at >= since,
        )
        .order_by(
            TriageItemRow.virality.desc(), TriageItemRow.forecast_24h.desc().nulls_last(), TriageItemRow.id
        )
        .limit(limit)
    )
    with store.session() as s:
        return [
            # virality is never None here (the query leaves unscored items out)
            ViralItem(id_, platform, label, virality or 0.0, forecast, author, _excerpt(text))
            for id_, platform, label, virality, forecast, author, text in s.execute(q)
        ]


def open_legal(store: Store, now: datetime, legal_playbooks: Sequence[str]) -> list[LegalItem]:
    """Open items that are with legal: on a legal playbook (``monitor.triage.legal_playbooks``) or
    escalated by a person, highest priority first, then oldest."""
    now = _utc(now)
    q = (
        select(
            TriageItemRow.id,
            TriageItemRow.playbook,
            _label_of(MentionRow.id),
            TriageItemRow.status,
            TriageItemRow.priority,
            TriageItemRow.created_at,
            TriageItemRow.assignee,
        )
        .join(MentionRow, MentionRow.id == TriageItemRow.mention_id)
        .where(
            TriageItemRow.status.in_(LEGAL_STATUSES)
            | (TriageItemRow.playbook.in_(legal_playbooks) & TriageItemRow.status.not_in(CLOSED_STATUSES)),
        )
        .order_by(TriageItemRow.priority.desc(), TriageItemRow.created_at, TriageItemRow.id)
    )
    with store.session() as s:
        return [
            LegalItem(id_, playbook, label, status, priority, now - created_at, assignee)
            for id_, playbook, label, status, priority, created_at, assignee in s.execute(q)
        ]
