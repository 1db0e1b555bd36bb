"""The X timelines: the business's mentions, a brand search, and quotes and retweets of watched posts.

- ``XSource(kind="mentions")``: GET /2/users/:id/mentions for the business's account.
- ``XSource(kind="search")``: GET /2/tweets/search/recent for a brand query.
- ``XSource(kind="quotes")``: GET /2/tweets/:id/quote_tweets for watched posts (the business's own posts
  and posts sent to legal: who quoted an accusation matters, since sharing it is publication too), and
  GET /2/tweets/:id/retweeted_by for who retweeted them.

Pagination follows ``next_token``; ``since_id`` advances only after the last page, and a pagination token
in the cursor resumes an interrupted walk, so nothing is lost or repeated; a token sent twice in one walk
(a loop) ends it, reported as the rest of the walk skipped (the retweeters' walk too). Reads are counted
per UTC day against a budget shared by the X sources.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
import tweepy

from monitor.errors import ConfigError, RateLimited
from monitor.records import SkippedItem, SourcePage, skipped_item
from monitor.sources.base import as_object
from monitor.sources.x.client import EXPANSIONS, TWEET_FIELDS, USER_FIELDS, StaleCursor, XCaller
from monitor.sources.x.parse import parse_response, parse_retweeters

log = logging.getLogger("repmon.sources.x")

RETWEET_PAGES = 5


def reads_today(cursor: dict, now: datetime) -> int:
    """Posts a source has read today, from its cursor."""
    reads = as_object(cursor.get("reads"))
    return int(reads.get("count", 0)) if reads.get("day") == now.date().isoformat() else 0


@dataclass
class ReadBudget:
    """Posts read per UTC day, against a daily budget (X bills reads per post)."""

    limit: int
    day: str = ""
    count: int = 0
    elsewhere: int = 0  # read today by the other X sources: the budget is shared

    @classmethod
    def from_cursor(cls, cursor: dict, limit: int, now: datetime, elsewhere: int = 0) -> ReadBudget:
        today = now.date().isoformat()
        return cls(limit, today, reads_today(cursor, now), elsewhere)

    def as_cursor(self) -> dict[str, object]:
        return {"day": self.day, "count": self.count}

    def check(self, source: str, now: datetime) -> None:
        """``RateLimited`` once today's reads reach the budget. It carries no reset time: the source is
        not set aside until midnight, so each pass checks the budget again (before any read, so at no
        cost) and a budget raised in the meantime takes effect at once."""
        if self.limit and self.count + self.elsewhere >= self.limit:
            raise RateLimited(
                source,
                f"daily read budget of {self.limit:,} posts reached "
                f"({self.count + self.elsewhere:,} read today by the X sources); "
                "reads resume after midnight UTC (raise REPMON_X_DAILY_READ_BUDGET to read more)",
                None,
            )


class XSource:
    """Mentions of the business's account, a brand search, or quotes of watched posts."""

    min_interval: timedelta | None = None  # set from the platform's poll interval (wiring)

    def __init__(
        self,
        name: str,
        kind: str,
        client: tweepy.Client,
        *,
        account_id: str | None = None,
        query: str | None = None,
        watched: Callable[[], list[str]] | None = None,
        daily_budget: int = 10_000,
        reads_elsewhere: Callable[[datetime], int] | None = None,
        max_results: int = 100,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        if kind not in ("mentions", "search", "quotes"):
            raise ConfigError(f"unknown X source kind {kind!r}")
        if kind == "mentions" and not account_id:
            raise ConfigError("the mentions source needs the business's account id (REPMON_X_ACCOUNT_ID)")
        if kind == "search" and not query:
            raise ConfigError("the search source needs a query (REPMON_X_QUERY)")
        self.name, self.kind, self.client = name, kind, client
        self.account_id, self.query, self.watched = account_id, query, watched
        self.daily_budget, self.max_results = daily_budget, max_results
        self.reads_elsewhere = reads_elsewhere or (lambda _now: 0)
        self.call = XCaller(name, retries, backoff)

    def _request(
        self, since_id: str | None, token: str | None, tweet_id: str | None = None
    ) -> requests.Response:
        common = {
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "expansions": EXPANSIONS,
            "max_results": self.max_results,
            "user_auth": False,
        }
        if self.kind == "search":
            return self.call(
                self.client.search_recent_tweets,
                query=self.query,
                since_id=since_id,
                next_token=token,
                **common,
            )
        if self.kind == "mentions":
            return self.call(
                self.client.get_users_mentions,
                id=self.account_id,
                since_id=since_id,
                pagination_token=token,
                **common,
            )
        return self.call(self.client.get_quote_tweets, id=tweet_id, pagination_token=token, **common)

    def _pages(
        self, cursor: dict, now: datetime, budget: ReadBudget, key: str | None, tweet_id: str | None = None
    ) -> Iterator[SourcePage]:
        """Walk one timeline; ``key`` names where its since_id lives in the cursor. A pagination token
        X sends a second time in one walk (a loop) ends the walk there, as if it were the last page, and
        is reported with that page's skipped items: the walk never goes round forever."""
        state = dict(cursor.get(key, {})) if key else dict(cursor)
        since, token, pending = state.get("since_id"), state.get("next_token"), state.get("pending_newest")
        restarted = False
        seen = {token}
        while True:
            budget.check(self.name, now)
            try:
                response = self._request(since if self.kind != "quotes" else None, token, tweet_id)
            except StaleCursor as exc:
                if restarted or (since is None and token is None):
                    raise
                # A cursor older than the endpoint's window (7 days for recent search): start afresh;
                # the store drops anything already seen.
                log.warning("%s; restarting without it", exc)
                since = token = pending = None
                restarted = True
                seen = {None}
                continue
            parsed = parse_response(response.content, now, self.name, self.account_id)
            skipped = parsed.skipped + parsed.errors  # what X would not send (an error item) is reported too
            for item in skipped:
                log.warning("source %r: %s", self.name, item)
            budget.count += parsed.result_count
            newest = parsed.newest_id or max((m.external_id for m in parsed.mentions), key=int, default=None)
            if token is None and newest:
                pending = newest
            token = parsed.next_token
            if token is not None and token in seen:
                what = f"the quotes of {tweet_id}" if tweet_id else f"the {self.kind}"
                reason = (
                    f"X sent the pagination token {token!r} a second time in one walk (a pagination loop): "
                    "the walk ended there; the next run reads the posts newer than it read"
                )
                skipped += (skipped_item("the rest", None, None, reason, what),)
                log.warning("source %r: %s: %s", self.name, what, reason)
                token = None
            seen.add(token)
            if (
                self.kind == "quotes"
                and since
                and any(int(m.external_id) <= int(since) for m in parsed.mentions)
            ):
                token = None  # quotes come newest first and take no since_id: stop at the last one seen
            if token is None:  # the walk is complete: only now does since_id move on
                since, pending = pending or since, None
            state = {"since_id": since, "next_token": token, "pending_newest": pending}
            new_cursor = dict(cursor)
            if key:
                new_cursor[key] = state
            else:
                new_cursor.update(state)
            new_cursor["reads"] = budget.as_cursor()
            cursor = new_cursor
            yield SourcePage(parsed.mentions, parsed.metrics, new_cursor, skipped=skipped)
            if token is None:
                return

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        budget = ReadBudget.from_cursor(cursor, self.daily_budget, now, self.reads_elsewhere(now))
        if self.kind != "quotes":
            yield from self._pages(cursor, now, budget, None)
            return
        for tweet_id in self.watched() if self.watched else []:
            pages = self._pages(cursor, now, budget, f"quotes:{tweet_id}", tweet_id)
            for page in pages:
                cursor = page.cursor
                yield page
            for page in self._retweeters(cursor, now, budget, tweet_id):
                cursor = page.cursor
                yield page

    def _retweeters(
        self, cursor: dict, now: datetime, budget: ReadBudget, tweet_id: str
    ) -> Iterator[SourcePage]:
        """Who retweeted a watched post, up to ``RETWEET_PAGES`` pages a run, resuming where it stopped.
        A pagination token X sends a second time in one walk (a loop) ends the walk there, as if it were
        the last page, and is reported as the rest of the walk skipped: no run saves a token of the loop."""
        key = f"retweets:{tweet_id}"
        token = (cursor.get(key) or {}).get("next_token")
        seen = {token}
        for _ in range(RETWEET_PAGES):
            budget.check(self.name, now)
            response = self.call(
                self.client.get_retweeters,
                id=tweet_id,
                pagination_token=token,
                max_results=self.max_results,
                user_fields=USER_FIELDS,
                user_auth=False,
            )
            shares, token = parse_retweeters(response.content, now, tweet_id, self.name)
            budget.count += len(shares)
            skipped: tuple[SkippedItem, ...] = ()
            if token is not None and token in seen:
                what = f"the retweeters of {tweet_id}"
                reason = (
                    f"X sent the pagination token {token!r} a second time in one walk (a pagination loop): "
                    "the walk ended there; the next run reads the retweeters again from the newest"
                )
                skipped = (skipped_item("the rest", None, None, reason, what),)
                log.warning("source %r: %s: %s", self.name, what, reason)
                token = None
            seen.add(token)
            cursor = {**cursor, key: {"next_token": token}, "reads": budget.as_cursor()}
            yield SourcePage(mentions=(), cursor=cursor, shares=tuple(shares), skipped=skipped)
            if token is None:
                return
