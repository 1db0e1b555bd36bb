"""Everything stored about one item, for the evidence bundle: the post's exact bytes, its capture,
metric history, deletion state, thread, shares and every stored quote, the versions of its text edited on
the platform with their labels, the other versions of the post edited on X (each a post with its own id),
and the audit trail."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select, tuple_

from monitor.storage.database import Database
from monitor.storage.edits import Edits
from monitor.storage.items import Items
from monitor.storage.mentions import Mentions
from monitor.storage.models import ClassificationRow, MentionRow, RawPayloadRow, TriageItemRow
from monitor.stored import EvidenceDocument, EvidenceMention, EvidencePost, EvidenceVersion

# Quotes of a post are read page by page (by the index on (platform, quoted_id)), however many there are.
QUOTE_BATCH = 1000


def _brief(r: MentionRow) -> EvidencePost:
    return {
        "platform": r.platform,
        "external_id": r.external_id,
        "url": r.url,
        "author": r.author_handle,
        "author_name": r.author_name,
        "author_followers": r.author_followers,
        "created_at": r.created_at.isoformat(),
        "parent_id": r.parent_id,
        "text": r.text,
        "deleted_at": r.deleted_at.isoformat() if r.deleted_at else None,
    }


class Evidence:
    """The evidence bundle's content."""

    def __init__(self, db: Database, items: Items, mentions: Mentions, edits: Edits) -> None:
        self.db, self.items, self.mentions, self.edits = db, items, mentions, edits

    def quotes(self, platform: str, external_id: str) -> list[EvidencePost]:
        """Every stored post that quotes the post, oldest first, read ``QUOTE_BATCH`` at a time."""
        out: list[EvidencePost] = []
        after: tuple[datetime, int] | None = None
        with self.db.session() as s:
            while True:
                q = select(MentionRow).where(
                    MentionRow.platform == platform, MentionRow.quoted_id == external_id
                )
                if after is not None:
                    q = q.where(tuple_(MentionRow.created_at, MentionRow.id) > tuple_(*after))
                page = list(s.scalars(q.order_by(MentionRow.created_at, MentionRow.id).limit(QUOTE_BATCH)))
                out += [_brief(r) for r in page]
                if len(page) < QUOTE_BATCH:
                    return out
                after = (page[-1].created_at, page[-1].id)

    def versions(self, platform: str, external_id: str) -> list[EvidenceVersion]:
        """The other stored versions of a post edited on X (``Mentions.versions``), oldest first, each with
        its queue item."""
        others = {
            v.external_id: v.item_id for v in self.mentions.versions(platform, external_id) if not v.this
        }
        if not others:
            return []
        with self.db.session() as s:
            q = (
                select(MentionRow)
                .where(MentionRow.platform == platform, MentionRow.external_id.in_(others))
                .order_by(MentionRow.created_at, MentionRow.id)
            )
            return [EvidenceVersion(**_brief(r), item_id=others[r.external_id]) for r in s.scalars(q)]

    def evidence(self, item_id: int) -> EvidenceDocument | None:
        """Everything stored about an item, for the evidence bundle: the post's exact bytes, capture,
        metric history, deletion status, thread, shares and quotes, the other versions edited on X, and the
        audit trail."""
        found = self.items.item(item_id)
        if found is None:
            return None
        with self.db.session() as s:
            item = s.get_one(TriageItemRow, item_id)
            m = s.get_one(MentionRow, item.mention_id)
            raw = s.scalar(select(RawPayloadRow).where(RawPayloadRow.mention_id == m.id))
            classification = s.scalar(
                select(ClassificationRow)
                .where(ClassificationRow.mention_id == m.id)
                .order_by(ClassificationRow.id.desc())
                .limit(1)
            )

            thread = []
            if m.thread_id:
                q = (
                    select(MentionRow)
                    .where(MentionRow.platform == m.platform, MentionRow.thread_id == m.thread_id)
                    .order_by(MentionRow.created_at)
                )
                thread = [_brief(r) for r in s.scalars(q)]
            quotes = self.quotes(m.platform, m.external_id)
            versions = self.versions(m.platform, m.external_id)
            return {
                # the bundle is a document (JSON): the records as mappings of their fields
                "item": asdict(found.item),
                "audit": [asdict(e) for e in found.audit],
                "mention": EvidenceMention(
                    **_brief(m),
                    source=m.source,
                    own_page=m.own_page,
                    is_demo=m.is_demo,
                    first_seen_at=m.first_seen_at.isoformat(),
                ),
                "raw": {
                    "body": raw.body,
                    "sha256": raw.sha256,
                    "captured_at": raw.captured_at.isoformat(),
                    "content_type": raw.content_type,
                }
                if raw
                else None,
                "classification": {
                    "label": classification.label,
                    "scores": dict(classification.scores),
                    "model_version": classification.model_version,
                }
                if classification
                else None,
                "snapshots": [
                    {
                        "at": x.at.isoformat(),
                        "likes": x.likes,
                        "shares": x.shares,
                        "replies": x.replies,
                        "quotes": x.quotes,
                        "views": x.views,
                    }
                    for x in self.mentions.snapshots([m.id])[m.id]
                ],
                "thread": thread,
                "shares": [
                    {
                        "sharer_id": x.sharer_id,
                        "handle": x.handle,
                        "name": x.name,
                        "followers": x.followers,
                        "kind": x.kind,
                        "first_seen_at": x.first_seen_at.isoformat(),
                        "sha256": x.sha256,
                    }
                    for x in self.mentions.shares(m.platform, m.external_id)
                ],
                "quotes": quotes,
                "captures": [
                    {"captured_at": c.captured_at.isoformat(), "sha256": c.sha256, "body": c.body}
                    for c in self.mentions.captures(m.platform, m.external_id)
                ],
                "edits": [
                    {
                        "id": e.id,
                        "captured_at": e.captured_at.isoformat(),
                        "version_key": e.version_key,
                        "text": e.text,
                        "classification": {
                            "label": e.label,
                            "scores": e.scores,
                            "model_version": e.model_version or "",
                        }
                        if e.label is not None
                        else None,
                    }
                    for e in self.edits.edits(m.platform, m.external_id)
                ],
                "versions": versions,
            }
