"""The owners' daily digest, part one: what happened on the last full day, read from the store into a
``DigestSummary`` (the only I/O of the digest). ``monitor.email.digest.render`` turns a summary into an
e-mail (pure); ``monitor.email.mailer`` sends it once per recipient.

*The day* is the last full local day in the configured time zone before the digest runs: run at 08:00
Asia/Jerusalem on 23 November, it covers 22 November 00:00 to 23 November 00:00 local time (22:00 to
22:00 UTC in winter; 23 or 25 hours on the nights the clocks change), and compares it with 21 November.
Its new mentions per label and its hourly spikes are about that day only, so a repeated run gives the
same numbers. Response times are for the items queued in the 24 hours before the digest, as they stand
when it is made (an SLA is judged against the present, and the night before the digest is when answers
run late). The queue sections (top open items, items with legal, failing sources) show the state when
the digest is made: that is what needs doing.

Post texts and names are hostile: every excerpt shows its bidi overrides and controls as visible markers
and loses its isolates (``monitor.text_safety``), and every handle, assignee and source name shows all
its hidden characters as markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from classifiers import LABELS, NEGATIVE_LABELS
from monitor.email.spikes import BASELINE_HOURS, SPIKE_K, SPIKE_MIN_COUNT, Spike
from monitor.errors import ConfigError, InputError
from monitor.records import QueueFilter
from monitor.storage import Store
from monitor.storage.reports import (
    HourVolume,
    LegalItem,
    ResponseKpi,
    detect_spikes,
    hourly_labels,
    labels_in_windows,
    open_legal,
    response_kpis,
)
from monitor.text_safety import for_header, one_line
from monitor.triage import legal_playbooks
from playbooks.engine import Library

TOP_ITEMS = 5
LEGAL_SHOWN = 5
EXCERPT_CHARS = 140
ERROR_CHARS = 300
# Response times are for the items queued in the 24 hours before the digest, judged when it is made:
# reports.response_kpis reads the items' current states, so it can only judge as of now.
SLA_DAYS = 1


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
    edited: bool = False  # the excerpt is of an edit made on the platform, which triage follows


@dataclass(frozen=True)
class DigestLegalItem(LegalItem):
    """An open item that is with legal (``reports.LegalItem``), and ``link`` to it on the dashboard."""

    link: str


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


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise InputError("naive datetime given as now: use timezone-aware UTC")
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


def _spikes(series: Sequence[int], starts: Sequence[datetime], kind: str) -> tuple[Spike, ...]:
    """The day's spikes in an hourly series that starts ``BASELINE_HOURS`` before the day, consecutive
    spiking hours joined; ``starts`` are the local starts of the day's hours."""
    out: list[Spike] = []
    previous = None
    for i in hourly_spikes(series):
        at = BASELINE_HOURS + i
        end = starts[i] + timedelta(hours=1)
        if out and previous == i - 1:
            out[-1] = Spike(out[-1].start, end, out[-1].count + series[at], out[-1].baseline_mean, kind)
        else:
            out.append(Spike(starts[i], end, series[at], sum(series[i:at]) / BASELINE_HOURS, kind))
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


def collect_digest(
    store: Store, now: datetime, tz: ZoneInfo, dashboard_url: str, library: Library | None = None
) -> DigestSummary:
    """Everything the digest made at ``now`` shows: the last full local day in ``tz`` (see
    ``day_bounds``) against the day before, and the queue as it is at ``now``.

    Volumes and spikes are about the day: new mentions per label (by the post's creation time, the
    business's own posts left out) and the runs of hours whose volume spiked against the week of hours
    before them (``hourly_spikes``). Response times and SLA breaches per platform are for the items
    queued in the 24 hours before ``now``, as they stand at ``now`` (``reports.response_kpis``). Top
    items (the five highest-priority open ones), items with legal (their number and the first five) and
    sources whose status is not ``ok`` are as they are at ``now``.
    Items with legal are those on a legal playbook of ``library`` (the default library if None).
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
            excerpt=clean_text(q.followed_text, EXCERPT_CHARS),
            language=q.language,
            status=q.status,
            link=item_link(url, q.id),
            edited=q.edit is not None,
        )
        for q in queue
    )
    legal = open_legal(store, now, legal_playbooks(library))
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
        spikes=_spikes(total, starts, "all"),
        negative_spikes=_spikes(negative, starts, "negative"),
        source_problems=tuple(
            SourceProblem(s.name, s.status, clean_text(s.last_error, ERROR_CHARS) or None, s.last_success_at)
            for s in store.sources()
            if s.status != "ok"
        ),
        audit_events=chain[0],
        audit_head=chain[1],
    )
