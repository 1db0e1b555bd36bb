"""Counters and text of open Facebook queue items: re-read 50 ids a call (GET /?ids=...), on a decaying
schedule. Each object read is kept as a later capture; it holds the ``message`` as it stands, so an edit
made on the platform since the first capture is preserved beside it (``monitor.edits``).

Posts that are gone, and comments the Page has hidden, are listed in each page's ``deleted``. The walker
only reads: the caller writes each page in one transaction (the pipeline's ``save_page`` for
``FacebookMetricsSource``; ``FacebookSource.refresh_metrics`` marks each batch's gone ids itself).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from monitor.errors import BadPayload
from monitor.records import Capture, Gone, MentionMetrics, MetricSnapshot, RawPayload, SourcePage
from monitor.redact import scrub_bytes
from monitor.sources.facebook.graph import GraphClient, NotFound
from monitor.sources.facebook.parse import GRAPH_ID, PLATFORM, count_or_zero, shares_count, summary_count
from monitor.sources.payloads import PayloadError, load_json, value_bytes
from monitor.sources.refresh import refresh_due
from monitor.stored import OpenMention

if TYPE_CHECKING:
    from monitor.sources.facebook.feed import FacebookSource

log = logging.getLogger("repmon.sources.facebook")

POST_COUNTER_FIELDS = "id,message,shares,reactions.summary(total_count),comments.summary(total_count)"
COMMENT_COUNTER_FIELDS = "id,message,like_count,comment_count,is_hidden"
REFRESH_BATCH = 50


class OpenItems(Protocol):
    """Where the open queue items are read from (``Store.open_mentions``)."""

    def open_mentions(
        self, platform: str, source: str | None = None, limit: int = 10_000
    ) -> list[OpenMention]: ...


class Deletions(OpenItems, Protocol):
    """``OpenItems`` that can also record posts as gone (``Store.mark_deleted``)."""

    def mark_deleted(self, platform: str, external_ids: Sequence[str], now: datetime) -> int: ...


def refresh_pages(client: GraphClient, items: OpenItems, now: datetime) -> Iterator[SourcePage]:
    """For the open Facebook items of ``client``'s source that are due, a page of fresh counters per batch
    of 50 ids, with the ids that are gone (or hidden) in ``deleted``. Nothing is written here."""
    rows = [r for r in items.open_mentions(PLATFORM, source=client.name) if refresh_due(r, now)]
    readable = [r for r in rows if GRAPH_ID.fullmatch(r.external_id)]
    posts = [r.external_id for r in readable if r.parent_id is None]
    comments = [r.external_id for r in readable if r.parent_id is not None]
    for ids, fields in ((posts, POST_COUNTER_FIELDS), (comments, COMMENT_COUNTER_FIELDS)):
        for start in range(0, len(ids), REFRESH_BATCH):
            batch = ids[start : start + REFRESH_BATCH]
            metrics, gone, captures = read_counters(client, batch, fields, now)
            yield SourcePage(
                mentions=(),
                metrics=tuple(metrics),
                cursor={"last_refresh": now.isoformat()},
                captures=tuple(captures),
                deleted=tuple(Gone(PLATFORM, i) for i in gone),
            )


def refresh_metrics(
    client: GraphClient, store: Deletions, now: datetime
) -> tuple[list[SourcePage], list[str]]:
    """Fresh counters of the open Facebook items that are due; returns the pages and the ids found gone
    or hidden, which are marked deleted in ``store``, one transaction per batch (their evidence stays)."""
    pages, missing = [], []
    for page in refresh_pages(client, store, now):
        gone = [g.external_id for g in page.deleted]
        if gone:
            store.mark_deleted(PLATFORM, gone, now)
        pages.append(page)
        missing += gone
    return pages, missing


def _graph_id(external_id: str) -> str:
    """The id Graph reads: an older derived id "{page}_{post}_{comment}" is read as "{post}_{comment}"."""
    parts = external_id.split("_")
    return "_".join(parts[-2:]) if len(parts) > 2 else external_id


def read_counters(
    client: GraphClient, ids: list[str], fields: str, now: datetime
) -> tuple[list[MentionMetrics], list[str], list[Capture]]:
    """The counters of ``ids`` (one multi-id read, or one by one if an id is gone), the ids gone or
    hidden, and each object's bytes (with its text when ``fields`` asks for ``message``) as a capture."""
    by_graph = {_graph_id(i): i for i in ids}
    raws: dict[str, bytes] = {}
    objects: dict[str, object]
    try:
        response = client.get("", {"ids": ",".join(by_graph), "fields": fields}, now)
        objects = _objects(client.name, response.content, "a multi-id read")
        for graph_id in objects:
            try:
                raws[graph_id] = value_bytes(response.content, graph_id)
            except PayloadError:
                continue
    except NotFound:
        # One missing id fails the whole multi-id read: read them one by one to learn which.
        objects = {}
        for graph_id in by_graph:
            try:
                response = client.get(graph_id, {"fields": fields}, now)
            except NotFound:
                continue
            objects[graph_id] = _objects(client.name, response.content, f"object {graph_id}")
            raws[graph_id] = response.content
    # Graph echoes the caller's token into an embedded edge's paging.next (the first comments of
    # comments.summary): the evidence store never holds a credential, as at the first capture.
    captures = [
        Capture(PLATFORM, by_graph[g], RawPayload(body=scrub_bytes(b), captured_at=now))
        for g, b in raws.items()
        if g in by_graph
    ]
    metrics, gone = [], []
    for graph_id, external_id in by_graph.items():
        obj = objects.get(graph_id)
        if not isinstance(obj, dict) or "error" in obj or obj.get("is_hidden") is True:
            gone.append(external_id)
            continue
        try:
            if "like_count" in obj or "comment_count" in obj or "is_hidden" in obj:
                snap = MetricSnapshot(
                    at=now,
                    likes=count_or_zero(obj.get("like_count"), "like_count"),
                    replies=count_or_zero(obj.get("comment_count"), "comment_count"),
                )
            else:
                snap = MetricSnapshot(
                    at=now,
                    likes=summary_count(obj, "reactions"),
                    shares=shares_count(obj),
                    replies=summary_count(obj, "comments"),
                )
        except ValueError as exc:
            log.warning("source %r: skipped the counters of %s: %s", client.name, external_id, exc)
            continue
        metrics.append(MentionMetrics(PLATFORM, external_id, snap))
    return metrics, gone, captures


def _objects(source: str, body: bytes, what: str) -> dict[str, object]:
    try:
        obj = load_json(body)
    except PayloadError as exc:
        raise BadPayload(source, f"Facebook response to {what}: {exc}") from exc
    if not isinstance(obj, dict):
        raise BadPayload(source, f"Facebook response to {what} is not a JSON object")
    return obj


class FacebookMetricsSource:
    """The counters and text of open Facebook queue items, as a source of its own (``facebook-metrics``)."""

    min_interval: timedelta | None = None  # set from the platform's poll interval (wiring)

    def __init__(self, source: FacebookSource, store: OpenItems, name: str = "facebook-metrics") -> None:
        self.source, self.store, self.name = source, store, name

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        """A page of fresh counters per batch of due items; gone or hidden items are in its ``deleted``,
        marked deleted by the pipeline in the transaction that stores the page."""
        cursor = {**cursor, "last_refresh": now.isoformat()}
        done = 0
        for page in refresh_pages(self.source.client, self.store, now):
            done += 1
            yield SourcePage(
                mentions=(), metrics=page.metrics, cursor=cursor, captures=page.captures, deleted=page.deleted
            )
        if not done:
            yield SourcePage(mentions=(), cursor=cursor)
