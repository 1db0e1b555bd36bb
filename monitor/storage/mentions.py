"""Reads of stored posts: their metric history, later captures, shares, raw payloads, threads, deletion
state, and the open ones whose counters are refreshed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute

from classifiers.virality import MetricSnapshot
from monitor.storage.database import Database
from monitor.storage.ingest import KEY_BATCH
from monitor.storage.models import (
    CaptureRow,
    MentionRow,
    MetricSnapshotRow,
    RawPayloadRow,
    ShareRow,
    TriageItemRow,
)
from monitor.stored import OpenMention, PostVersion, StoredCapture, StoredShare, ThreadPost

_Ts = TypeVarTuple("_Ts")


def _of_post(
    q: Select[*_Ts], mention_id: InstrumentedAttribute[int], platform: str, external_id: str
) -> Select[*_Ts]:
    """``q`` narrowed to the rows of one post, joined to it on their ``mention_id`` column."""
    return q.join(MentionRow, MentionRow.id == mention_id).where(
        MentionRow.platform == platform, MentionRow.external_id == external_id
    )


class Mentions:
    """What is stored about posts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def captures(self, platform: str, external_id: str) -> list[StoredCapture]:
        """Later reads of a post, oldest first: capture time, SHA-256 and the exact bytes."""
        with self.db.session() as s:
            q = _of_post(
                select(CaptureRow.captured_at, CaptureRow.sha256, CaptureRow.body),
                CaptureRow.mention_id,
                platform,
                external_id,
            ).order_by(CaptureRow.captured_at, CaptureRow.id)
            return [StoredCapture(at, sha256, body) for at, sha256, body in s.execute(q)]

    def shares(self, platform: str, external_id: str) -> list[StoredShare]:
        """Who shared a post, in the order first seen."""
        with self.db.session() as s:
            q = _of_post(select(ShareRow), ShareRow.mention_id, platform, external_id).order_by(ShareRow.id)
            return [
                StoredShare(
                    sharer_id=r.sharer_id,
                    handle=r.sharer_handle,
                    name=r.sharer_name,
                    followers=r.sharer_followers,
                    kind=r.kind,
                    first_seen_at=r.first_seen_at,
                    sha256=r.sha256,
                )
                for r in s.scalars(q)
            ]

    def snapshots(self, mention_ids: Sequence[int]) -> dict[int, list[MetricSnapshot]]:
        """Each mention's metric snapshots, oldest first."""
        out: dict[int, list[MetricSnapshot]] = {i: [] for i in mention_ids}
        with self.db.session() as s:
            for i in range(0, len(mention_ids), KEY_BATCH):
                q = (
                    select(MetricSnapshotRow)
                    .where(MetricSnapshotRow.mention_id.in_(mention_ids[i : i + KEY_BATCH]))
                    .order_by(MetricSnapshotRow.mention_id, MetricSnapshotRow.at)
                )
                for r in s.scalars(q):
                    out[r.mention_id].append(
                        MetricSnapshot(
                            at=r.at,
                            likes=r.likes,
                            shares=r.shares,
                            replies=r.replies,
                            quotes=r.quotes,
                            views=r.views,
                        )
                    )
        return out

    def sharer_followers(self, mention_ids: Sequence[int]) -> dict[int, list[int | None]]:
        """The follower counts of those who spread each mention: its sharers (X's retweeters, in the order
        first seen), then the authors of stored posts that quote it, as the platform gave them (None where
        it did not). The virality forecast reads their reach."""
        out: dict[int, list[int | None]] = {i: [] for i in mention_ids}
        with self.db.session() as s:
            for i in range(0, len(mention_ids), KEY_BATCH):
                chunk = mention_ids[i : i + KEY_BATCH]
                q = (
                    select(ShareRow.mention_id, ShareRow.sharer_followers)
                    .where(ShareRow.mention_id.in_(chunk))
                    .order_by(ShareRow.mention_id, ShareRow.id)
                )
                for mention_id, followers in s.execute(q):
                    out[mention_id].append(followers)
                posts = {
                    (platform, external_id): mention_id
                    for mention_id, platform, external_id in s.execute(
                        select(MentionRow.id, MentionRow.platform, MentionRow.external_id).where(
                            MentionRow.id.in_(chunk)
                        )
                    )
                }
                quoted = sorted({external_id for _, external_id in posts})
                for j in range(0, len(quoted), KEY_BATCH):
                    quotes = (
                        select(MentionRow.platform, MentionRow.quoted_id, MentionRow.author_followers)
                        .where(MentionRow.quoted_id.in_(quoted[j : j + KEY_BATCH]))
                        .order_by(MentionRow.id)
                    )
                    for platform, quoted_id, followers in s.execute(quotes):
                        target = posts.get((platform, quoted_id)) if quoted_id is not None else None
                        if target is not None:
                            out[target].append(followers)
        return out

    def versions(self, platform: str, external_id: str, limit: int = 100) -> list[PostVersion]:
        """The stored versions of a post edited on X (an edit there is a new post with a new id): every
        post sharing its first version's id (the first version itself and each post that edits it), oldest
        first, the post itself included, each with its queue item if it has one; [] if it is not stored."""
        with self.db.session() as s:
            m = s.scalar(
                select(MentionRow).where(
                    MentionRow.platform == platform, MentionRow.external_id == external_id
                )
            )
            if m is None:
                return []
            first = m.edit_of or m.external_id
            q = (
                select(MentionRow, TriageItemRow.id)
                .outerjoin(TriageItemRow, TriageItemRow.mention_id == MentionRow.id)
                .where(
                    MentionRow.platform == platform,
                    (MentionRow.external_id == first) | (MentionRow.edit_of == first),
                )
                .order_by(MentionRow.created_at, MentionRow.id)
                .limit(limit)
            )
            return [
                PostVersion(
                    external_id=r.external_id,
                    author=r.author_handle,
                    url=r.url,
                    created_at=r.created_at,
                    text=r.text,
                    language=r.language,
                    item_id=item_id,
                    this=r.id == m.id,
                    deleted_at=r.deleted_at,
                )
                for r, item_id in s.execute(q)
            ]

    def thread(self, item_id: int, limit: int = 200) -> list[ThreadPost]:
        """An item's thread (or its parent and replies), oldest first, the item itself included."""
        with self.db.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                return []
            m = s.get_one(MentionRow, item.mention_id)
            key = m.thread_id or m.parent_id or m.external_id  # a root post: its replies point at it
            q = (
                select(MentionRow)
                .where(
                    MentionRow.platform == m.platform,
                    (MentionRow.thread_id == key)
                    | (MentionRow.external_id == key)
                    | (MentionRow.parent_id == key),
                )
                .order_by(MentionRow.created_at)
                .limit(limit)
            )
            return [
                ThreadPost(
                    external_id=r.external_id,
                    author=r.author_handle,
                    created_at=r.created_at,
                    text=r.text,
                    language=r.language,
                    from_business=r.from_business,
                    this=r.id == m.id,
                    deleted_at=r.deleted_at,
                )
                for r in s.scalars(q)
            ]

    def deleted_at(self, platform: str, external_id: str) -> datetime | None:
        """When the post was first seen gone from its platform (None: not seen gone)."""
        with self.db.session() as s:
            return s.scalar(
                select(MentionRow.deleted_at).where(
                    MentionRow.platform == platform, MentionRow.external_id == external_id
                )
            )

    def business_posts(self, platform: str, since: datetime) -> list[str]:
        """External ids of the business's own posts on a platform created since ``since``."""
        with self.db.session() as s:
            q = select(MentionRow.external_id).where(
                MentionRow.platform == platform,
                MentionRow.from_business.is_(True),
                MentionRow.created_at >= since,
                MentionRow.deleted_at.is_(None),
            )
            return list(s.scalars(q))

    def open_mentions(
        self, platform: str, source: str | None = None, limit: int = 10_000
    ) -> list[OpenMention]:
        """Posts of a platform with an open queue item and not deleted (newest first, at most ``limit``:
        the counters refreshed in one pass), with their latest counters."""
        with self.db.session() as s:
            q = (
                select(
                    MentionRow.id,
                    MentionRow.external_id,
                    MentionRow.created_at,
                    MentionRow.parent_id,
                    TriageItemRow.playbook,
                )
                .join(TriageItemRow, TriageItemRow.mention_id == MentionRow.id)
                .where(
                    MentionRow.platform == platform,
                    MentionRow.deleted_at.is_(None),
                    TriageItemRow.is_open.is_(True),
                )
                .order_by(MentionRow.created_at.desc())
                .limit(limit)
            )
            if source is not None:
                q = q.where(MentionRow.source == source)
            rows = s.execute(q).all()
        snaps = self.snapshots([r[0] for r in rows])
        out = []
        for mid, ext, created, parent, playbook in rows:
            history = snaps.get(mid, [])
            out.append(
                OpenMention(
                    external_id=ext,
                    created_at=created,
                    parent_id=parent,
                    playbook=playbook,
                    last_at=history[-1].at if history else None,
                    engagement=history[-1].engagement if history else None,
                    previous=history[-2].engagement if len(history) > 1 else None,
                )
            )
        return out

    def raw_payload(self, platform: str, external_id: str) -> tuple[bytes, str, datetime] | None:
        """The post's payload as fetched: (bytes, SHA-256, capture time)."""
        with self.db.session() as s:
            q = _of_post(
                select(RawPayloadRow.body, RawPayloadRow.sha256, RawPayloadRow.captured_at),
                RawPayloadRow.mention_id,
                platform,
                external_id,
            )
            row = s.execute(q).first()
            return (row[0], row[1], row[2]) if row else None
