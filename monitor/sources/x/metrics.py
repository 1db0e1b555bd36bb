"""Counters of open X queue items: GET /2/tweets?ids= (up to 100 ids a call), on a decaying schedule.

Posts that come back "not found" are listed in the page's ``deleted``: the pipeline marks them deleted in
the same transaction that stores the page (their evidence stays). A post X answers with another error (its
author went protected: "not-authorized-for-resource") still exists: it is reported among the page's skipped
items, neither refreshed nor marked deleted. Errors about users (the author expansion) are not reported
here: the refresh needs only the counters. The walker never writes to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import tweepy

from monitor.records import Capture, Gone, SourcePage
from monitor.sources.refresh import refresh_due
from monitor.sources.x.client import EXPANSIONS, TWEET_FIELDS, USER_FIELDS, XCaller
from monitor.sources.x.parse import parse_response
from monitor.sources.x.timelines import ReadBudget
from monitor.stored import OpenMention

LOOKUP_BATCH = 100


class XMetricsSource:
    """Refreshes counters of open X queue items, 100 ids a call, young and fast-growing posts first."""

    min_interval: timedelta | None = None  # set from the platform's poll interval (wiring)

    def __init__(
        self,
        name: str,
        client: tweepy.Client,
        open_mentions: Callable[[], list[OpenMention]],
        *,
        daily_budget: int = 10_000,
        reads_elsewhere: Callable[[datetime], int] | None = None,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.name, self.client = name, client
        self.open_mentions = open_mentions
        self.daily_budget = daily_budget
        self.reads_elsewhere = reads_elsewhere or (lambda _now: 0)
        self.call = XCaller(name, retries, backoff)

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        """A page of fresh counters per batch of due posts; the posts X no longer has are in ``deleted``."""
        budget = ReadBudget.from_cursor(cursor, self.daily_budget, now, self.reads_elsewhere(now))
        due = [r.external_id for r in self.open_mentions() if refresh_due(r, now)]
        for start in range(0, len(due), LOOKUP_BATCH):
            budget.check(self.name, now)
            ids = due[start : start + LOOKUP_BATCH]
            response = self.call(
                self.client.get_tweets,
                ids=ids,
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                expansions=EXPANSIONS,
                user_auth=False,
            )
            parsed = parse_response(response.content, now, self.name)
            budget.count += parsed.result_count
            cursor = {**cursor, "reads": budget.as_cursor(), "last_refresh": now.isoformat()}
            captures = tuple(Capture("x", m.external_id, m.raw) for m in parsed.mentions)
            unread = tuple(  # posts X would not send though it has them (the gone are marked deleted)
                e for e in parsed.errors if e.kind == "tweet" and e.external_id not in parsed.not_found
            )
            yield SourcePage(
                mentions=(),
                metrics=parsed.metrics,
                cursor=cursor,
                captures=captures,
                skipped=parsed.skipped + unread,
                deleted=tuple(Gone("x", i) for i in parsed.not_found),
            )
        if not due:
            yield SourcePage(mentions=(), cursor={**cursor, "reads": budget.as_cursor()})
