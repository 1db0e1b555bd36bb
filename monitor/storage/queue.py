"""The triage queue: items created and re-scored by triage, and the queue read page by page, filtered
in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from monitor.records import (
    MAX_ITEM_ID,
    UNASSIGNED,
    QueueFilter,
    QueueItem,
    Status,
    TriageDecision,
    Virality,
    valid_text,
)
from monitor.storage import audit
from monitor.storage.chain import AuditChain
from monitor.storage.classifications import corrected_labels
from monitor.storage.database import Database
from monitor.storage.edits import Edits
from monitor.storage.ingest import KEY_BATCH
from monitor.storage.models import ClassificationRow, MentionRow, TriageItemRow
from monitor.stored import TriageCandidate

_Ts = TypeVarTuple("_Ts")


class Queue:
    """Triage items and the queue."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def triage_candidates(
        self,
        model_version: str,
        now: datetime,
        limit: int = 10_000,
        offset: int = 0,
        mention_ids: Sequence[int] | None = None,
    ) -> list[TriageCandidate]:
        """Classified mentions needing a (re)triage: no item yet, or an open item to re-score (only
        those of ``mention_ids`` when given), each with the verdicts of ``model_version`` on its edited
        versions."""
        with self.db.session() as s:
            q = (
                select(MentionRow, ClassificationRow)
                .join(ClassificationRow, ClassificationRow.mention_id == MentionRow.id)
                .outerjoin(TriageItemRow, TriageItemRow.mention_id == MentionRow.id)
                .where(ClassificationRow.model_version == model_version)
                .where(MentionRow.from_business.is_(False))
                .where((TriageItemRow.id.is_(None)) | (TriageItemRow.is_open.is_(True)))
                .order_by(MentionRow.id)
                .limit(limit)
                .offset(offset)
            )
            if mention_ids is not None:
                q = q.where(MentionRow.id.in_(list(mention_ids)))
            rows = s.execute(q).all()
            corrected = corrected_labels(s, [m.id for m, _ in rows])
            edits = Edits.verdicts(s, model_version, [m.id for m, _ in rows])
            return [
                TriageCandidate(
                    mention_id=m.id,
                    label=corrected.get(m.id, c.label),
                    scores=dict(c.scores),
                    language=c.language,
                    author_followers=m.author_followers,
                    own_page=m.own_page,
                    created_at=m.created_at,
                    first_seen_at=m.first_seen_at,
                    edits=tuple(edits.get(m.id, ())),
                    corrected=m.id in corrected,
                )
                for m, c in rows
            ]

    def save_triage(self, rows: Sequence[tuple[int, TriageDecision, Virality]], now: datetime) -> int:
        """Create triage items, or re-score open ones (status and assignee are left as they are); each
        keeps the version of the post's text it was triaged on."""
        if not rows:
            return 0
        with self.db.session() as s:
            existing = {
                t.mention_id: t
                for i in range(0, len(rows), KEY_BATCH)
                for t in s.scalars(
                    select(TriageItemRow).where(
                        TriageItemRow.mention_id.in_([r[0] for r in rows[i : i + KEY_BATCH]])
                    )
                )
            }
            before = audit.row_seals("item", existing.values())
            touched: list[TriageItemRow] = []
            for mid, decision, vir in rows:
                item = existing.get(mid)
                if item is None:
                    touched.append(
                        TriageItemRow(
                            mention_id=mid,
                            playbook=decision.playbook,
                            priority=decision.priority,
                            status=Status.NEW,
                            sla_due_at=decision.sla_due_at,
                            virality=vir.score,
                            forecast_24h=vir.forecast_24h,
                            reasons=list(decision.reasons),
                            label=decision.label,
                            language=decision.language,
                            edit_id=decision.edit_id,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    s.add(touched[-1])
                elif item.is_open:
                    item.playbook = decision.playbook
                    item.priority = decision.priority
                    item.sla_due_at = min(item.sla_due_at, decision.sla_due_at)
                    item.virality = vir.score
                    item.forecast_24h = vir.forecast_24h
                    item.reasons = list(decision.reasons)
                    item.label = decision.label or item.label
                    item.language = decision.language or item.language
                    item.edit_id = decision.edit_id
                    item.updated_at = now
                    touched.append(item)
            s.flush()  # the new items' ids
            seals = {k: v for k, v in audit.row_seals("item", touched).items() if before.get(k) != v}
            if seals:
                detail = {"items": len(seals)}
                self.chain.append(s, now, "repmon", "triage", None, detail, {"item": seals})
        return len(rows)

    def queue_item(self, item_id: int) -> QueueItem | None:
        """One queue item by id, whatever its status; None also for an id no database can hold."""
        if not 1 <= item_id <= MAX_ITEM_ID:
            return None
        with self.db.session() as s:
            q = self._queue_select().where(TriageItemRow.id == item_id)
            found = self._queue_items(s, s.execute(q).all())
        return found[0] if found else None

    @staticmethod
    def _queue_select() -> Select[TriageItemRow, MentionRow]:
        return select(TriageItemRow, MentionRow).join(MentionRow, MentionRow.id == TriageItemRow.mention_id)

    @staticmethod
    def _queue_where(q: Select[*_Ts], f: QueueFilter) -> Select[*_Ts]:
        """The filter as SQL conditions (indexes on status, label and the queue order do the work)."""
        if f.statuses:
            q = q.where(TriageItemRow.status.in_(f.statuses))
        elif not f.include_closed:
            q = q.where(TriageItemRow.is_open.is_(True))  # one equality: the queue-order index serves it
        if f.platforms:
            q = q.where(MentionRow.platform.in_(f.platforms))
        if f.labels:
            q = q.where(TriageItemRow.label.in_(f.labels))
        if f.languages:
            q = q.where(TriageItemRow.language.in_(f.languages))
        if f.playbooks:
            q = q.where(TriageItemRow.playbook.in_(f.playbooks))
        if f.min_virality is not None:
            q = q.where(TriageItemRow.virality >= f.min_virality)
        if f.legal is not None:
            q = q.where(
                TriageItemRow.playbook.in_(f.legal.playbooks)
                | TriageItemRow.label.in_(f.legal.labels)
                | TriageItemRow.status.in_(f.legal.statuses)
            )
        if f.assignee == UNASSIGNED:
            q = q.where(TriageItemRow.assignee.is_(None))
        elif f.assignee:
            q = q.where(TriageItemRow.assignee == f.assignee)
        if f.since is not None:
            q = q.where(MentionRow.created_at >= f.since)
        if f.until is not None:
            q = q.where(MentionRow.created_at < f.until)
        if f.own_page is not None:
            q = q.where(MentionRow.own_page.is_(f.own_page))
        needle = valid_text(f.search.strip())  # the texts searched hold valid text
        if needle:
            q = q.where(
                MentionRow.text.icontains(needle, autoescape=True)
                | MentionRow.author_handle.icontains(needle.lstrip("@"), autoescape=True)
                | MentionRow.author_name.icontains(needle, autoescape=True)
            )
        return q

    def queue(
        self,
        filter: QueueFilter | None = None,
        *,
        include_closed: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[QueueItem]:
        """One page of triage items by priority (highest first), then SLA due time; filtered in SQL."""
        f = filter or QueueFilter(include_closed=include_closed)
        with self.db.session() as s:
            q = (
                self._queue_where(self._queue_select(), f)
                .order_by(TriageItemRow.priority.desc(), TriageItemRow.sla_due_at, TriageItemRow.id)
                .limit(limit)
                .offset(offset)
            )
            return self._queue_items(s, s.execute(q).all())

    def queue_count(self, filter: QueueFilter | None = None) -> int:
        """How many items the filter matches (for paging)."""
        f = filter or QueueFilter()
        with self.db.session() as s:
            q = select(func.count(TriageItemRow.id))
            # Join the mentions only when the filter needs their columns: counting open items stays an
            # index count instead of 100,000 primary-key lookups.
            if f.platforms or f.since or f.until or f.own_page is not None or f.search.strip():
                q = q.join(MentionRow, MentionRow.id == TriageItemRow.mention_id)
            return s.scalar(self._queue_where(q, f)) or 0

    def mention_id_of(self, item_id: int) -> int | None:
        """The id of the mention an item is about."""
        with self.db.session() as s:
            return s.scalar(select(TriageItemRow.mention_id).where(TriageItemRow.id == item_id))

    def assignees(self) -> list[str]:
        """Everyone an item is assigned to (an index scan over assigned items only)."""
        with self.db.session() as s:
            q = (
                select(TriageItemRow.assignee)
                .where(TriageItemRow.assignee.is_not(None))
                .distinct()
                .order_by(TriageItemRow.assignee)
            )
            return list(s.scalars(q))

    def _queue_items(self, s: Session, rows: Sequence[Row[TriageItemRow, MentionRow]]) -> list[QueueItem]:
        """Queue items for a page of (triage item, mention) rows, with the latest classification of the
        version each was triaged on (the edit it follows, else the first text)."""
        mids = [m.id for _, m in rows]
        latest: dict[int, ClassificationRow] = {}
        if mids:
            for row in s.scalars(
                select(ClassificationRow)
                .where(ClassificationRow.mention_id.in_(mids))
                .order_by(ClassificationRow.id)
            ):
                latest[row.mention_id] = row
        corrected = corrected_labels(s, mids)
        followed = Edits.by_id(s, [t.edit_id for t, _ in rows if t.edit_id is not None])
        out = []
        for t, m in rows:
            c: ClassificationRow | None = latest.get(m.id)
            edit = followed.get(t.edit_id) if t.edit_id is not None else None
            scores = edit.scores if edit else dict(c.scores) if c else {}
            model_version = edit.model_version if edit else c.model_version if c else None
            out.append(
                QueueItem(
                    id=t.id,
                    platform=m.platform,
                    external_id=m.external_id,
                    url=m.url,
                    author=m.author_handle,
                    author_followers=m.author_followers,
                    text=m.text,
                    language=(c.language if c else None) or t.language or m.language,
                    created_at=m.created_at,
                    label=corrected.get(m.id) or t.label or (c.label if c else None),
                    scores=scores,
                    virality=t.virality,
                    forecast_24h=t.forecast_24h,
                    playbook=t.playbook,
                    priority=t.priority,
                    status=t.status,
                    sla_due_at=t.sla_due_at,
                    own_page=m.own_page,
                    is_demo=m.is_demo,
                    model_version=model_version,
                    assignee=t.assignee,
                    deleted_at=m.deleted_at,
                    edit=edit,
                )
            )
        return out

    # -- platform state of posts ---------------------------------------------------------------
