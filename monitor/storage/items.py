"""Changes to one queue item, each audited: workflow moves, assignment, label corrections, the reply
draft and its approval. The rules (which move is allowed, who may approve) are ``monitor.workflow``'s:
each method receives the rule and applies it to the item as it stands inside the transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from monitor.errors import WorkflowError
from monitor.i18n import N_
from monitor.records import MAX_ITEM_ID
from monitor.storage import audit
from monitor.storage.chain import AuditChain, Seals
from monitor.storage.classifications import corrected_labels
from monitor.storage.database import Database, to_record
from monitor.storage.models import AuditEventRow, ClassificationRow, CorrectionRow, ReplyRow, TriageItemRow
from monitor.stored import AuditEntry, ItemDetail, Reply, TriageItem

# rule(state before) -> the state after; raises WorkflowError when the move is not allowed
Transition = Callable[[str], str]


def _item_seals(*items: TriageItemRow) -> Seals:
    return {"item": audit.row_seals("item", items)}


def _missing(item_id: int) -> WorkflowError:
    return WorkflowError(N_("no queue item {item_id}: see `repmon queue --all`"), item_id=item_id)


class Items:
    """Audited changes to queue items."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def act(
        self,
        item_id: int,
        action: str,
        actor: str,
        now: datetime,
        rule: Transition,
        *,
        decision: str | None = None,
        reason: str | None = None,
        note: str | None = None,
    ) -> str:
        """Move an item to the state ``rule`` gives for its current one, and record who did what, when;
        returns the new state."""
        with self.db.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise _missing(item_id)
            before = item.status
            after = rule(before)
            item.status, item.updated_at = after, now
            detail: dict[str, object] = {"from": before, "to": after}
            if action == "decide":
                item.decision = decision
                detail["decision"] = decision
            if reason:
                detail["reason"] = reason
            if note:
                detail["note"] = note
            self.chain.append(s, now, actor, action, item_id, detail, _item_seals(item))
            return after

    def correct(self, item_id: int, label: str, reason: str, actor: str, now: datetime) -> None:
        """Record a person's label for an item (with the reason; ``workflow.check_correction`` checked
        both) and audit it; triage follows it."""
        with self.db.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise _missing(item_id)
            # The label it showed: a person's earlier correction, else the one it was triaged on (its most
            # serious version's), else its classification's.
            before = (
                corrected_labels(s, [item.mention_id]).get(item.mention_id)
                or item.label
                or s.scalar(
                    select(ClassificationRow.label)
                    .where(ClassificationRow.mention_id == item.mention_id)
                    .order_by(ClassificationRow.id.desc())
                    .limit(1)
                )
            )
            correction = CorrectionRow(
                mention_id=item.mention_id,
                label=label,
                reason=reason,
                actor=actor,
                at=now,
                edit_id=item.edit_id,  # the version it showed
            )
            s.add(correction)
            item.label, item.updated_at = label, now
            s.flush()  # the correction's id
            seals = _item_seals(item) | {"correction": audit.row_seals("correction", [correction])}
            self.chain.append(
                s, now, actor, "correct", item_id, {"from": before, "to": label, "reason": reason}, seals
            )

    def save_draft(
        self,
        item_id: int,
        text: str,
        language: str,
        actor: str,
        now: datetime,
        rule: Callable[[str], tuple[str, str] | None],
    ) -> None:
        """Write or edit an item's reply draft (an edit withdraws any approval). ``rule(state)`` refuses
        a state that takes no draft, or names the move a draft makes first: (action, new state)."""
        with self.db.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise _missing(item_id)
            if move := rule(item.status):
                action, before = move[0], item.status
                item.status = move[1]
                self.chain.append(
                    s,
                    now,
                    actor,
                    action,
                    item_id,
                    {"from": before, "to": item.status},
                    _item_seals(item),
                )
            reply = s.scalar(select(ReplyRow).where(ReplyRow.item_id == item_id))
            if reply is None:
                reply = ReplyRow(
                    item_id=item_id,
                    language=language,
                    text=text,
                    status="draft",
                    edited_by=actor,
                    updated_at=now,
                )
                s.add(reply)
            else:
                reply.text, reply.language, reply.status = text, language, "draft"
                reply.edited_by, reply.approved_by, reply.updated_at = actor, None, now
            item.updated_at = now
            self.chain.append(s, now, actor, "draft", item_id, {"language": language, "text": text})

    def approve(self, item_id: int, actor: str, now: datetime, rule: Callable[[str, str], None]) -> None:
        """Approve an item's reply draft; ``rule(item state, the draft's editor)`` refuses what may not
        be approved (by this actor)."""
        with self.db.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise _missing(item_id)
            reply = s.scalar(select(ReplyRow).where(ReplyRow.item_id == item_id))
            if reply is None:
                raise WorkflowError(
                    N_("item {item_id} has no reply draft to approve: write one with `repmon draft`"),
                    item_id=item_id,
                )
            rule(item.status, reply.edited_by)
            reply.status, reply.approved_by, reply.updated_at = "approved", actor, now
            self.chain.append(s, now, actor, "approve", item_id, {"text": reply.text})

    def reply(self, item_id: int) -> Reply | None:
        """An item's reply (draft, approved or sent), or None."""
        with self.db.session() as s:
            r = s.scalar(select(ReplyRow).where(ReplyRow.item_id == item_id))
            return to_record(Reply, r) if r else None

    def mark_reply_sent(self, item_id: int, platform_reply_id: str | None, now: datetime) -> None:
        """Record that the reply was posted (with the platform's id of it, when known)."""
        with self.db.session() as s:
            r = s.scalar(select(ReplyRow).where(ReplyRow.item_id == item_id))
            if r is not None:
                r.status, r.platform_reply_id, r.updated_at = "sent", platform_reply_id, now

    def assign(
        self, item_id: int, assignee: str, actor: str, now: datetime, rule: Callable[[str], None]
    ) -> None:
        """Assign an item; ``rule(state)`` refuses a state that takes no assignment."""
        with self.db.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise _missing(item_id)
            rule(item.status)
            detail = {"from": item.assignee, "to": assignee}
            item.assignee, item.updated_at = assignee, now
            self.chain.append(s, now, actor, "assign", item_id, detail, _item_seals(item))

    def item(self, item_id: int) -> ItemDetail | None:
        """One queue item with its triage fields and audit trail; None if there is none (also for an id
        no database can hold)."""
        if not 1 <= item_id <= MAX_ITEM_ID:
            return None
        with self.db.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                return None
            events = s.scalars(
                select(AuditEventRow).where(AuditEventRow.item_id == item_id).order_by(AuditEventRow.id)
            )
            return ItemDetail(
                item=to_record(TriageItem, item, reasons=list(item.reasons)),
                audit=[AuditEntry(e.at, e.actor, e.action, dict(e.detail), e.hash) for e in events],
            )
