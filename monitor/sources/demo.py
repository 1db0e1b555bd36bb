"""The built-in demo stream: posts about a fictional café chain, replayed relative to the current time.

It is the embedded default when no platform credentials are set, and runs through the same pipeline as
real sources. Every mention it makes is marked ``is_demo`` and its URL is on the reserved ``.invalid``
domain, so demo data is never mistaken for real posts.

The stream's clock starts at the first poll (the cursor's ``anchor``): posts scheduled before it appear
at once, with their original ages; posts scheduled after it trickle in as time passes. Each post's
counters grow as ``final * (1 - exp(-age / tau))``, so successive polls see viral posts take off.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from monitor.errors import BadPayload
from monitor.records import Mention, MentionMetrics, MetricSnapshot, RawPayload, SourcePage

DATA = Path(__file__).parent
POSTS_FILE = DATA / "demo_posts.jsonl"
AUTHORS_FILE = DATA / "demo_authors.json"
PAGE_SIZE = 50
BUSINESS_HANDLE = "CafeLimonIL"  # the demo business's own account: its posts are context, not queue items
METRICS_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class DemoPost:
    id: str
    platform: str
    author: str
    text: str
    lang: str
    intended: str
    minutes: int
    reply_to: str | None
    own_page: bool
    growth: dict[str, float]


@cache
def load_stream() -> tuple[tuple[DemoPost, ...], dict[str, dict]]:
    """The demo posts (in release order) and their authors."""
    authors = json.loads(AUTHORS_FILE.read_text(encoding="utf-8"))
    posts = []
    for n, line in enumerate(POSTS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            posts.append(
                DemoPost(
                    id=row["id"],
                    platform=row["platform"],
                    author=row["author"],
                    text=row["text"],
                    lang=row["lang"],
                    intended=row["intended"],
                    minutes=int(row["minutes"]),
                    reply_to=row.get("reply_to"),
                    own_page=bool(row.get("own_page", False)),
                    growth=dict(row.get("growth") or {}),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadPayload("demo", f"{POSTS_FILE}:{n}: {exc}") from exc
    posts.sort(key=lambda p: p.minutes)
    return tuple(posts), authors


def counters(post: DemoPost, age_hours: float) -> MetricSnapshot:
    """The post's counters at a given age (``at`` is filled in by the caller)."""
    g = post.growth
    tau = max(float(g.get("tau_hours", 4.0)), 0.1)
    f = 1.0 - math.exp(-max(age_hours, 0.0) / tau)
    likes, shares = int(g.get("likes", 0) * f), int(g.get("shares", 0) * f)
    replies, quotes = int(g.get("replies", 0) * f), int(g.get("quotes", 0) * f)
    total = likes + shares + replies + quotes
    return MetricSnapshot(
        at=datetime.min, likes=likes, shares=shares, replies=replies, quotes=quotes, views=total * 37 + 12
    )


class DemoSource:
    """Replays the demo stream; the cursor holds the stream's start time and how many posts are out."""

    name = "demo"
    min_interval: timedelta | None = None  # the least time between two successful polls (`repmon demo`)

    def __init__(
        self, posts: tuple[DemoPost, ...] | None = None, authors: dict[str, dict] | None = None
    ) -> None:
        if posts is None or authors is None:
            posts, authors = load_stream()
        self.posts = posts
        self.authors = authors
        self.by_id = {p.id: p for p in posts}

    def _created(self, post: DemoPost, anchor: datetime) -> datetime:
        return anchor + timedelta(minutes=post.minutes)

    def _root(self, post: DemoPost) -> DemoPost:
        seen = set()
        while post.reply_to and post.reply_to in self.by_id and post.id not in seen:
            seen.add(post.id)
            post = self.by_id[post.reply_to]
        return post

    def _mention(self, post: DemoPost, anchor: datetime, now: datetime) -> Mention:
        author = self.authors.get(post.author, {})
        created = self._created(post, anchor)
        payload = {
            "demo": True,
            "id": post.id,
            "platform": post.platform,
            "author": {"handle": post.author, **author},
            "text": post.text,
            "lang": post.lang,
            "created_at": created.isoformat(),
            "reply_to": post.reply_to,
            "own_page": post.own_page,
        }
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return Mention(
            platform=post.platform,
            external_id=f"demo-{post.id}",
            url=f"https://demo.repmon.invalid/{post.platform}/{post.author}/{post.id}",
            author_id=f"demo-{post.author}",
            author_handle=post.author,
            author_name=str(author.get("name", post.author)),
            author_followers=int(author["followers"]) if "followers" in author else None,
            text=post.text,
            language=post.lang,
            created_at=created,
            raw=RawPayload(body=body, captured_at=now),
            source=self.name,
            thread_id=f"demo-{self._root(post).id}",
            parent_id=f"demo-{post.reply_to}" if post.reply_to else None,
            own_page=post.own_page,
            is_demo=True,
            from_business=post.author == BUSINESS_HANDLE,
        )

    def _metrics(self, post: DemoPost, anchor: datetime, now: datetime) -> MentionMetrics:
        created = self._created(post, anchor)
        snap = replace(counters(post, (now - created).total_seconds() / 3600.0), at=now)
        return MentionMetrics(post.platform, f"demo-{post.id}", snap)

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        anchor = datetime.fromisoformat(str(cursor["anchor"])) if cursor.get("anchor") else now
        out = cursor.get("released") or 0
        released = int(out) if isinstance(out, int | float | str) else 0
        due = [p for p in self.posts[released:] if self._created(p, anchor) <= now]
        for start in range(0, len(due), PAGE_SIZE):
            page = due[start : start + PAGE_SIZE]
            released += len(page)
            yield SourcePage(
                mentions=tuple(self._mention(p, anchor, now) for p in page),
                metrics=tuple(self._metrics(p, anchor, now) for p in page),
                cursor={"anchor": anchor.isoformat(), "released": released},
            )
        # Fresh counters for every post still young enough to be spreading.
        young = [
            p
            for p in self.posts[:released]
            if now - self._created(p, anchor) <= METRICS_WINDOW and p not in due
        ]
        for start in range(0, len(young), 200):
            yield SourcePage(
                mentions=(),
                metrics=tuple(self._metrics(p, anchor, now) for p in young[start : start + 200]),
                cursor={"anchor": anchor.isoformat(), "released": released},
            )
        if not due and not young:
            yield SourcePage(mentions=(), cursor={"anchor": anchor.isoformat(), "released": released})
