"""The Page feed and comment walks: ``FacebookSource``.

GET /{page-id}/feed (the Page's own posts, as thread context, and visitors' posts, with the comments the
feed embeds), then GET /{post-id}/comments?filter=stream for the posts of the comment window (30 days by
default, ``REPMON_FACEBOOK_COMMENT_DAYS``), replies included: a post of the last 3 days on every poll, an
older one when its walk is due (``comment_walk_interval``: hourly to a week, then every 6 hours), so a
comment left on last month's post is still read, within hours, at a few calls an hour.

Cursor: ``feed_since`` (newest post time seen; it moves only when a feed walk is complete),
``feed_next``/``feed_pending`` (where an interrupted walk resumes), ``recent_posts`` (post id -> creation
time, every post of the comment window), ``comments_since`` (post id -> newest comment time; re-read with
an overlap because comments arrive late; the store drops what it already has) and ``comments_walked``
(post id -> when its last walk ended). A ``paging.next`` that leads back to a page the walk already read
(a loop) ends the walk there, reported as the rest of the walk skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import facebook

from monitor.errors import ConfigError
from monitor.records import SourcePage, skipped_item
from monitor.sources.base import as_object
from monitor.sources.facebook import metrics
from monitor.sources.facebook.graph import (
    DEFAULT_VERSION,
    TOKEN_SETTING,
    GraphClient,
    GraphSession,
    NotFound,
    graph_version,
)
from monitor.sources.facebook.parse import GRAPH_ID, Context, Parsed, from_iso, iso, parse_body
from monitor.sources.http import DEFAULT_TIMEOUT

log = logging.getLogger("repmon.sources.facebook")

COMMENT_FIELDS = "id,message,created_time,from,like_count,comment_count,parent,permalink_url"
FEED_FIELDS = (
    "id,message,created_time,from,permalink_url,shares,reactions.summary(total_count),"
    f"comments.summary(total_count){{{COMMENT_FIELDS}}}"
)
PAGE_LIMIT = "100"
EVERY_POLL = timedelta(days=3)  # posts this young have their comments read on every poll


def comment_walk_interval(age: timedelta) -> timedelta:
    """How often the comments of a post this old are read: every poll in its first 3 days (zero), hourly
    to a week, then every 6 hours. Pure."""
    if age <= EVERY_POLL:
        return timedelta(0)
    return timedelta(hours=1) if age <= timedelta(days=7) else timedelta(hours=6)


class FacebookSource:
    """The Page feed (own posts as context, visitors' posts) and the comments of its recent posts."""

    min_interval: timedelta | None = None  # set from the platform's poll interval (wiring)

    def __init__(
        self,
        name: str,
        page_id: str,
        token: str,
        *,
        version: str = DEFAULT_VERSION,
        session: GraphSession | None = None,
        comment_overlap: timedelta = timedelta(minutes=30),
        comment_window: timedelta = timedelta(days=30),
        is_demo: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        version = graph_version(version)
        if not page_id or not GRAPH_ID.fullmatch(page_id):
            raise ConfigError(
                f"Facebook Page id {page_id!r} is not a numeric id: check REPMON_FACEBOOK_PAGE_ID"
            )
        if not token:
            raise ConfigError(f"the Facebook source needs a Page access token: set {TOKEN_SETTING}")
        if comment_window < timedelta(0):
            raise ConfigError(
                "the Facebook comment window cannot be negative: check REPMON_FACEBOOK_COMMENT_DAYS"
            )
        self.name, self.page_id, self.version, self.is_demo = name, page_id, version, is_demo
        self.comment_overlap, self.comment_window = comment_overlap, comment_window
        self.session = session or GraphSession(timeout)
        self.client = GraphClient(
            name,
            token,
            version,
            self.session,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            sleep=sleep,
        )

    @property
    def graph(self) -> facebook.GraphAPI:
        """facebook-sdk's client, pointed at the configured Graph version."""
        return self.client.graph

    def __repr__(self) -> str:
        return f"FacebookSource(name={self.name!r}, page_id={self.page_id!r}, version={self.version!r})"

    # -- the feed and comment walks ---------------------------------------------------------------

    def _context(self, now: datetime) -> Context:
        return Context(self.name, self.page_id, self.is_demo, now)

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        """Pages of new posts (with embedded comments), then of comments on recent posts, oldest walk first.

        Each page carries the cursor to store with it; ``feed_since`` moves only when the feed walk is
        complete, and a comment walk's since-time only when that post's walk is complete.
        """
        cursor = dict(cursor)
        ctx = self._context(now)
        since = from_iso(cursor.get("feed_since"))
        pending = from_iso(cursor.get("feed_pending"))
        resume = cursor.get("feed_next")
        params = dict(resume) if isinstance(resume, dict) else self._feed_params(since)
        recent = {
            pid: t
            for pid, t in as_object(cursor.get("recent_posts")).items()
            if (ts := from_iso(t)) and now - ts <= self.comment_window
        }
        # Posts past the comment window get no more comment walks: forget their since- and walk times.
        for key in ("comments_since", "comments_walked"):
            cursor[key] = {pid: t for pid, t in as_object(cursor.get(key)).items() if pid in recent}
        seen = [params]
        while True:
            parsed = parse_body(self.client.get(f"{self.page_id}/feed", params, now).content, ctx, "post")
            for post_id, created in parsed.posts:
                if now - created <= self.comment_window:
                    recent[post_id] = created.isoformat()
                if pending is None or created > pending:
                    pending = created
            next_params = self._unless_loop(parsed.next_params, seen, parsed, "the feed")
            if next_params is None:  # the walk is complete: only now does the since-time move on
                since, pending = max(filter(None, (since, pending)), default=None), None
            cursor = {
                **cursor,
                "feed_since": iso(since),
                "feed_pending": iso(pending),
                "feed_next": next_params,
                "recent_posts": dict(recent),
            }
            yield parsed.page(cursor)
            if next_params is None:
                break
            params = next_params
        yield from self._comment_walks(cursor, recent, ctx)

    def _unless_loop(
        self, next_params: dict[str, str] | None, seen: list[dict[str, str]], parsed: Parsed, walk: str
    ) -> dict[str, str] | None:
        """``next_params``, or None (the walk ends there) when the walk already requested them: Graph sent a
        ``paging.next`` that leads back (a loop), said in the page's skipped items; else they are ``seen``."""
        if next_params is None:
            return None
        if next_params in seen:
            after = next_params.get("after")
            cursor = f"the paging cursor {after!r}" if after else "a paging.next"
            reason = (
                f"Facebook sent {cursor} a second time in one walk (a paging loop): the walk ended there; "
                "the next run goes on from what it read"
            )
            parsed.skipped.append(skipped_item("the rest", None, None, reason, walk))
            log.warning("source %r: %s: %s", self.name, walk, reason)
            return None
        seen.append(next_params)
        return next_params

    def _feed_params(self, since: datetime | None) -> dict[str, str]:
        params = {"fields": FEED_FIELDS, "limit": PAGE_LIMIT}
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        return params

    def _comment_walks(
        self, cursor: dict[str, object], recent: dict[str, str], ctx: Context
    ) -> Iterator[SourcePage]:
        recent = dict(recent)
        comments_since = dict(as_object(cursor.get("comments_since")))
        walked = dict(as_object(cursor.get("comments_walked")))
        for post_id in sorted(recent, key=lambda pid: (recent[pid], pid)):
            created, walked_at = from_iso(recent[post_id]), from_iso(walked.get(post_id))
            if created and walked_at and ctx.now - walked_at < comment_walk_interval(ctx.now - created):
                continue  # an older post walked lately: its next walk is not due yet
            last = from_iso(comments_since.get(post_id))
            params = {"filter": "stream", "fields": COMMENT_FIELDS, "limit": PAGE_LIMIT}
            if last is not None:
                # Comments can show up late (moderation, slow replication): re-read an overlap.
                params["since"] = str(int((last - self.comment_overlap).timestamp()))
            newest = last
            seen = [params]
            while True:
                try:
                    response = self.client.get(f"{post_id}/comments", params, ctx.now)
                except NotFound:
                    # The post was deleted since it was seen: stop walking it rather than fail every run.
                    log.info(
                        "source %r: post %s is gone; its comments are no longer read", self.name, post_id
                    )
                    recent.pop(post_id)
                    comments_since.pop(post_id, None)
                    walked.pop(post_id, None)
                    cursor = {
                        **cursor,
                        "recent_posts": dict(recent),
                        "comments_since": dict(comments_since),
                        "comments_walked": dict(walked),
                    }
                    yield SourcePage(mentions=(), cursor=cursor)
                    break
                parsed = parse_body(response.content, ctx, "comment", post_id)
                if parsed.newest is not None and (newest is None or parsed.newest > newest):
                    newest = parsed.newest
                next_params = self._unless_loop(
                    parsed.next_params, seen, parsed, f"the comments of post {post_id}"
                )
                if next_params is None:  # the walk is complete
                    walked[post_id] = ctx.now.isoformat()
                    if newest is not None:
                        comments_since[post_id] = newest.isoformat()
                cursor = {**cursor, "comments_since": dict(comments_since), "comments_walked": dict(walked)}
                yield parsed.page(cursor)
                if next_params is None:
                    break
                params = next_params

    # -- counters of open items -------------------------------------------------------------------

    def refresh_pages(self, items: metrics.OpenItems, now: datetime) -> Iterator[SourcePage]:
        """Pages of fresh counters of this source's open items that are due, each object read (with its
        text) a capture (``metrics.refresh_pages``); the ids gone or hidden are in each page's ``deleted``,
        not written anywhere."""
        return metrics.refresh_pages(self.client, items, now)

    def refresh_metrics(self, store: metrics.Deletions, now: datetime) -> tuple[list[SourcePage], list[str]]:
        """Fresh counters of the open items that are due, and the ids found gone or hidden, marked deleted
        in ``store`` one batch at a time (``metrics.refresh_metrics``)."""
        return metrics.refresh_metrics(self.client, store, now)
