"""Ingest: a source's page of mentions, metric snapshots, shares, captures and cursor, written in one
transaction and sealed by one audit event; idempotent on ``(platform, external_id)``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from monitor.records import Capture, Gone, Mention, MentionMetrics, Share, valid_text
from monitor.storage import audit
from monitor.storage.chain import AuditChain, Seals
from monitor.storage.database import Database
from monitor.storage.models import CaptureRow, MentionRow, MetricSnapshotRow, RawPayloadRow, ShareRow
from monitor.storage.sources import save_source
from monitor.stored import SavedPage

# Rows per statement when looking rows up by a list of keys (well under SQLite's variable limit).
KEY_BATCH = 500
Counts = tuple[int, int, int, int, int | None]  # likes, shares, replies, quotes, views


class Ingest:
    """Writes what the sources fetched."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def save_page(
        self,
        source: str,
        mentions: Sequence[Mention],
        metrics: Sequence[MentionMetrics],
        cursor: dict[str, object] | None,
        now: datetime,
        shares: Sequence[Share] = (),
        captures: Sequence[Capture] = (),
        deleted: Sequence[Gone] = (),
    ) -> SavedPage:
        """Store a page of mentions, snapshots, shares, the posts found gone and the source's cursor, in
        one transaction."""
        seals: Seals = {}
        with self.db.session() as s:
            new = self._upsert_mentions(s, mentions, now, seals)
            snaps = self._insert_snapshots(s, metrics, seals)
            self._insert_shares(s, shares, now)
            self._insert_captures(s, captures)
            for platform in dict.fromkeys(g.platform for g in deleted):
                gone = [g.external_id for g in deleted if g.platform == platform]
                self._mark_deleted(s, platform, gone, now)
            if cursor is not None:
                save_source(s, source, now, cursor=cursor, status="ok", error=None, success=True)
            if new or snaps:
                # One event per page seals what it stored (not one per mention: ingest stays fast).
                detail = {"source": source, "mentions": new, "snapshots": snaps}
                self.chain.append(s, now, "repmon", "ingest", None, detail, seals)
        return SavedPage(new, snaps)

    def _upsert_mentions(self, s: Session, mentions: Sequence[Mention], now: datetime, seals: Seals) -> int:
        if not mentions:
            return 0
        rows = [
            {
                "platform": str(m.platform),  # a plain str: sealed and stored as such, no enum
                "external_id": m.external_id,
                "source": m.source,
                # Text columns hold valid text (no NUL, no lone surrogate); the raw payload keeps the bytes.
                "url": valid_text(m.url),
                "author_id": valid_text(m.author_id),
                "author_handle": valid_text(m.author_handle),
                "author_name": valid_text(m.author_name),
                "author_followers": m.author_followers,
                "text": valid_text(m.text),
                "language": m.language and valid_text(m.language),
                "created_at": m.created_at,
                "thread_id": m.thread_id and valid_text(m.thread_id),
                "parent_id": m.parent_id and valid_text(m.parent_id),
                "own_page": m.own_page,
                "is_demo": m.is_demo,
                "from_business": m.from_business,
                "first_seen_at": now,
                "quoted_id": m.quoted_id and valid_text(m.quoted_id),
                "edit_of": m.edit_of and valid_text(m.edit_of),
            }
            for m in mentions
        ]
        unique = {(r["platform"], r["external_id"]): r for r in rows}
        stmt = (
            self.db.insert(MentionRow)
            .on_conflict_do_nothing(index_elements=["platform", "external_id"])
            .returning(MentionRow.id, MentionRow.platform, MentionRow.external_id)
        )
        # RETURNING with ON CONFLICT DO NOTHING yields exactly the rows that are new.
        new_ids = {(p, e): i for i, p, e in s.execute(stmt, list(unique.values()))}
        seals["mention"] = audit.row_seals("mention", [unique[key] | {"id": i} for key, i in new_ids.items()])
        raws = [
            {
                "mention_id": new_ids[(m.platform, m.external_id)],
                "body": m.raw.body,
                "sha256": m.raw.sha256,
                "content_type": m.raw.content_type,
                "captured_at": m.raw.captured_at,
            }
            for m in {(m.platform, m.external_id): m for m in mentions}.values()
            if (m.platform, m.external_id) in new_ids
        ]
        if raws:
            s.execute(
                self.db.insert(RawPayloadRow).on_conflict_do_nothing(index_elements=["mention_id"]), raws
            )
            seals["payload"] = audit.row_seals("payload", raws)
        return len(new_ids)

    @staticmethod
    def _ids_for(s: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        by_platform: dict[str, list[str]] = {}
        for platform, ext in keys:
            by_platform.setdefault(platform, []).append(ext)
        out: dict[tuple[str, str], int] = {}
        for platform, exts in by_platform.items():
            for i in range(0, len(exts), KEY_BATCH):
                chunk = exts[i : i + KEY_BATCH]
                q = select(MentionRow.platform, MentionRow.external_id, MentionRow.id).where(
                    MentionRow.platform == platform, MentionRow.external_id.in_(chunk)
                )
                out.update({(p, e): i_ for p, e, i_ in s.execute(q)})
        return out

    def _insert_snapshots(self, s: Session, metrics: Sequence[MentionMetrics], seals: Seals) -> int:
        """Add snapshots that differ from the post's latest one (unchanged counters add nothing)."""
        if not metrics:
            return 0
        ids = self._ids_for(s, [(m.platform, m.external_id) for m in metrics])
        wanted = [
            (ids[(m.platform, m.external_id)], m.snapshot)
            for m in metrics
            if (m.platform, m.external_id) in ids
        ]
        latest = self._latest_snapshots(s, [mid for mid, _ in wanted])
        rows = []
        for mid, snap in wanted:
            counts = (snap.likes, snap.shares, snap.replies, snap.quotes, snap.views)
            prev = latest.get(mid)
            if prev is not None and (prev[1] == counts or prev[0] >= snap.at):
                continue
            latest[mid] = (snap.at, counts)
            rows.append(
                {
                    "mention_id": mid,
                    "at": snap.at,
                    "likes": snap.likes,
                    "shares": snap.shares,
                    "replies": snap.replies,
                    "quotes": snap.quotes,
                    "views": snap.views,
                }
            )
        if rows:
            stmt = (
                self.db.insert(MetricSnapshotRow)
                .on_conflict_do_nothing(index_elements=["mention_id", "at"])
                .returning(*MetricSnapshotRow.__table__.c)
            )
            seals["snapshot"] = audit.row_seals("snapshot", s.execute(stmt, rows).mappings().all())
        return len(rows)

    def _insert_shares(self, s: Session, shares: Sequence[Share], now: datetime) -> None:
        if not shares:
            return
        ids = self._ids_for(s, [(x.platform, x.external_id) for x in shares])
        rows = [
            {
                "mention_id": ids[(x.platform, x.external_id)],
                "sharer_id": valid_text(x.sharer_id),
                "sharer_handle": valid_text(x.sharer_handle),
                "sharer_name": valid_text(x.sharer_name),
                "sharer_followers": x.sharer_followers,
                "kind": x.kind,
                "first_seen_at": now,
                "body": x.raw.body,
                "sha256": x.raw.sha256,
            }
            for x in shares
            if (x.platform, x.external_id) in ids
        ]
        if rows:
            stmt = self.db.insert(ShareRow).on_conflict_do_nothing(
                index_elements=["mention_id", "sharer_id", "kind"]
            )
            s.execute(stmt, rows)

    def _insert_captures(self, s: Session, captures: Sequence[Capture]) -> None:
        if not captures:
            return
        ids = self._ids_for(s, [(c.platform, c.external_id) for c in captures])
        rows = [
            {
                "mention_id": ids[(c.platform, c.external_id)],
                "captured_at": c.raw.captured_at,
                "sha256": c.raw.sha256,
                "body": c.raw.body,
            }
            for c in captures
            if (c.platform, c.external_id) in ids
        ]
        if rows:
            s.execute(
                self.db.insert(CaptureRow).on_conflict_do_nothing(index_elements=["mention_id", "sha256"]),
                rows,
            )

    @staticmethod
    def _latest_snapshots(s: Session, mention_ids: Sequence[int]) -> dict[int, tuple[datetime, Counts]]:
        out: dict[int, tuple[datetime, Counts]] = {}
        for i in range(0, len(mention_ids), KEY_BATCH):
            chunk = mention_ids[i : i + KEY_BATCH]
            latest = (
                select(MetricSnapshotRow.mention_id, func.max(MetricSnapshotRow.at).label("at"))
                .where(MetricSnapshotRow.mention_id.in_(chunk))
                .group_by(MetricSnapshotRow.mention_id)
                .subquery()
            )
            q = select(MetricSnapshotRow).join(
                latest,
                (MetricSnapshotRow.mention_id == latest.c.mention_id) & (MetricSnapshotRow.at == latest.c.at),
            )
            for r in s.scalars(q):
                out[r.mention_id] = (r.at, (r.likes, r.shares, r.replies, r.quotes, r.views))
        return out

    def mark_deleted(self, platform: str, external_ids: Sequence[str], now: datetime) -> int:
        """Record that posts are gone from the platform (first time seen gone); their evidence stays."""
        if not external_ids:
            return 0
        with self.db.session() as s:
            return self._mark_deleted(s, platform, external_ids, now)

    @staticmethod
    def _mark_deleted(s: Session, platform: str, external_ids: Sequence[str], now: datetime) -> int:
        result = cast(
            CursorResult[Any],
            s.execute(
                update(MentionRow)
                .where(
                    MentionRow.platform == platform,
                    MentionRow.external_id.in_(list(external_ids)),
                    MentionRow.deleted_at.is_(None),
                )
                .values(deleted_at=now)
            ),
        )
        return result.rowcount or 0
