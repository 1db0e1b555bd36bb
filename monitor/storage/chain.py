"""The audit chain: every change appends an event that follows the one before it, carries the HMAC of
its content under a key kept outside the database, and seals the rows it wrote (``audit.py``);
``verify`` checks all of it in one pass."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from monitor.records import valid_text
from monitor.storage import audit
from monitor.storage.database import AUDIT_CHAIN_LOCK, Database
from monitor.storage.models import AuditEventRow, CaptureRow, MentionRow, RawPayloadRow, ShareRow

Seals = dict[str, dict[str, str]]


class AuditChain:
    """Appends to and verifies the audit chain of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(
        self,
        s: Session,
        now: datetime,
        actor: str,
        action: str,
        item_id: int | None,
        detail: Mapping[str, object],
        seals: Seals | None = None,
    ) -> None:
        """Add an event after the chain's head, with the seals of the rows it wrote (``audit.py``). The
        transaction first takes the chain's lock, held until it ends, so that concurrent writers
        (threads, workers, the dashboard) append one after another instead of two events following the
        same head. Once committed, the new head is written to the checkpoint file."""
        self._lock_audit_chain(s)
        actor, action = valid_text(actor), valid_text(action)  # as the text columns will hold them
        last = s.execute(
            select(AuditEventRow.hash, AuditEventRow.seq).order_by(AuditEventRow.id.desc()).limit(1)
        ).first()
        prev, seq = (last[0], last[1] + 1) if last else ("", 1)
        seals = {kind: dict(entries) for kind, entries in (seals or {}).items() if entries}
        row = AuditEventRow(
            at=now,
            actor=actor,
            action=action,
            item_id=item_id,
            detail=detail,
            prev_hash=prev,
            seq=seq,
            seals=seals,
            # HMAC-SHA256, under the key kept outside the database, of the event and its place in the chain
            hash=audit.event_hmac(
                self.db.audit_key, audit.event_fields(prev, seq, now, actor, action, item_id, detail, seals)
            ),
        )
        s.add(row)
        s.info["audit_head"] = (seq, row.hash)

    def head(self) -> tuple[int, str]:
        """The audit chain's length and head hash ("" when empty), e.g. for the daily digest."""
        with self.db.session() as s:
            last = s.execute(
                select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.id.desc()).limit(1)
            ).first()
        return (last[0], last[1]) if last else (0, "")

    @staticmethod
    def _lock_audit_chain(s: Session) -> None:
        """Hold the audit chain for the rest of the transaction. PostgreSQL: a transaction-scoped advisory
        lock. SQLite: its one write lock, taken by a write that changes nothing (under pysqlite a SELECT
        runs outside any transaction, so two writers could otherwise read the same head)."""
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":
            s.execute(select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
        elif dialect == "sqlite":
            s.execute(text("UPDATE audit_events SET hash = hash WHERE 0"))

    def record_event(
        self, item_id: int | None, actor: str, action: str, detail: Mapping[str, object], now: datetime
    ) -> None:
        """Append an event that changes no state (e.g. an evidence export) to the audit chain."""
        with self.db.session() as s:
            self.append(s, now, actor, action, item_id, detail)

    def verify(self) -> list[str]:
        """Check everything the audit chain vouches for; the problems found, first broken link first.

        In one linear pass: each event follows the one before it and carries the HMAC of its content
        under the audit key (an unkeyed re-hash is named as such); the chain is at least as long as the
        checkpoint file says and holds the checkpointed head; every sealed row (mentions, payloads,
        metric snapshots, classifications, queue items, corrections, users, edited versions of posts and
        their classifications) is as its latest seal says, none is missing and none was added without an
        event; every stored payload matches its SHA-256 and states the id and text of the post it is
        stored for."""
        problems: list[str] = []
        chain: list[str] = []
        key, checkpoint_file = self.db.audit_key, self.db.checkpoint_file
        checkpoint = audit.read_checkpoint(checkpoint_file) if checkpoint_file else None
        latest: dict[str, dict[str, str]] = {kind: {} for kind in audit.SEALED_KINDS}
        with self.db.session() as s:
            prev, prev_seq, last_seq, events, at_checkpoint = "", 0, 0, 0, None
            q = select(AuditEventRow).order_by(AuditEventRow.id).execution_options(yield_per=1000)
            for e in s.scalars(q):
                events += 1
                where = f"audit event {e.id} (item {e.item_id}, {e.action} by {e.actor})"
                detail, seals = dict(e.detail), dict(e.seals or {})
                fields = audit.event_fields(
                    e.prev_hash, e.seq, e.at, e.actor, e.action, e.item_id, detail, seals
                )
                if e.prev_hash != prev or e.seq != prev_seq + 1:
                    chain.append(f"{where}: chain broken: it does not follow the event before it")
                elif not hmac.compare_digest(e.hash, audit.event_hmac(key, fields)):
                    legacy = audit.legacy_fields(e.prev_hash, e.at, e.actor, e.action, e.item_id, detail)
                    if e.hash in audit.unkeyed_hashes(fields, legacy):
                        chain.append(
                            f"{where}: its hash was recomputed without the audit key: the chain was "
                            "rewritten behind repmon's back"
                        )
                    else:
                        chain.append(f"{where}: its content was changed after it was recorded")
                if checkpoint is not None and e.seq == checkpoint.events:
                    at_checkpoint = e.hash
                prev, prev_seq, last_seq = e.hash, e.seq, max(last_seq, e.seq)
                for kind, entries in seals.items():
                    latest.setdefault(kind, {}).update(entries)
            shown = 20  # a rewritten chain fails at every event after the change: the first ones say it
            problems += chain[:shown]
            if len(chain) > shown:
                problems.append(
                    f"... and {len(chain) - shown} more audit events with the same kind of problem"
                )
            problems += self._check_checkpoint(checkpoint, events, last_seq, at_checkpoint)
            if self.db.key_file is not None and (p := audit.key_problem(self.db.key_file)):
                problems.append(p)
            problems += self._check_seals(s, latest)
            problems += self._check_payloads(s)
        return problems

    def _check_checkpoint(
        self, checkpoint: audit.Checkpoint | None, events: int, last_seq: int, at_checkpoint: str | None
    ) -> list[str]:
        where = f"audit chain (checkpoint {self.db.checkpoint_file})"
        if checkpoint is None:
            if events and self.db.checkpoint_file is not None:
                return [
                    f"{where}: the checkpoint file is missing while the database holds {events} events: "
                    "deleted last events cannot be ruled out; restore the file from your backup"
                ]
            return []
        if last_seq < checkpoint.events:
            return [
                f"{where}: the chain ends at event {last_seq} but the checkpoint recorded "
                f"{checkpoint.events} events (head {checkpoint.head[:16]}): the last "
                f"{checkpoint.events - last_seq} event(s) were deleted"
            ]
        if at_checkpoint != checkpoint.head:
            return [
                f"{where}: event {checkpoint.events} is not the head the checkpoint recorded "
                f"({checkpoint.head[:16]}): the chain was replaced or re-hashed"
            ]
        return []

    @staticmethod
    def _check_seals(s: Session, latest: dict[str, dict[str, str]]) -> list[str]:
        problems: list[str] = []
        changed = {
            "mention": "its text, author, dates or other stored fields changed after it was stored",
            "payload": "the payload was replaced together with its SHA-256 after capture",
            "snapshot": "its counts (likes, shares, replies, quotes, views) changed after they were stored",
            "classification": "its label or scores changed after the classifier stored them",
            "item": "its status, playbook, label, decision or assignee differs from the audit trail "
            "(changed behind repmon's back)",
            "correction": "its label, reason, actor, time or version changed after it was recorded",
            "user": "their role differs from the audit trail (changed behind repmon's back)",
            "edit": "its text, capture or post changed after it was read from the capture",
            "edit_classification": "its label or scores changed after the classifier stored them",
        }

        def name(kind: str, key: str, row: Mapping[str, object] | None) -> str:
            if kind == "user":
                return f"user {key!r}"
            if kind == "payload":
                return f"raw payload of mention {key}"
            label = {
                "snapshot": "metric snapshot",
                "item": "queue item",
                "edit": "edited version",
                "edit_classification": "classification of edited version",
            }.get(kind, kind)
            if kind == "mention" and row is not None:
                return f"mention {key} ({row['platform']}/{row['external_id']})"
            if row is not None and kind in ("snapshot", "classification", "correction", "edit"):
                return f"{label} {key} of mention {row['mention_id']}"
            if row is not None and kind == "edit_classification":
                return f"{label} {row['edit_id']} ({key})"
            return f"{label} {key}"

        for kind in audit.SEALED_KINDS:
            sealed = latest.get(kind, {})
            for key, digest, row in audit.current_rows(s, kind):
                recorded = sealed.pop(key, None)
                if recorded is None:
                    problems.append(
                        f"{name(kind, key, row)}: no audit event covers it: added behind repmon's back"
                    )
                elif not hmac.compare_digest(recorded, digest):
                    problems.append(f"{name(kind, key, row)}: {changed[kind]}")
            for key in sealed:
                problems.append(f"{name(kind, key, None)}: recorded in the audit trail but deleted since")
        return problems

    @staticmethod
    def _check_payloads(s: Session) -> list[str]:
        problems: list[str] = []
        q = (
            select(RawPayloadRow, MentionRow.platform, MentionRow.external_id, MentionRow.text)
            .join(MentionRow, MentionRow.id == RawPayloadRow.mention_id)
            .order_by(RawPayloadRow.mention_id)
            .execution_options(yield_per=1000)
        )
        for raw, platform, ext, mention_text in s.execute(q):
            where = f"raw payload of {platform}/{ext} (mention {raw.mention_id})"
            if hashlib.sha256(raw.body).hexdigest() != raw.sha256:
                problems.append(f"{where}: SHA-256 mismatch")
            elif why := audit.payload_mismatch(ext, mention_text, raw.body):
                problems.append(f"{where}: {why}: the evidence bundle would hold another post")
        for cap in s.scalars(select(CaptureRow).execution_options(yield_per=1000)):
            if hashlib.sha256(cap.body).hexdigest() != cap.sha256:
                problems.append(f"capture {cap.id} of mention {cap.mention_id}: SHA-256 mismatch")
        for share in s.scalars(select(ShareRow).execution_options(yield_per=1000)):
            if hashlib.sha256(share.body).hexdigest() != share.sha256:
                problems.append(f"share {share.id} of mention {share.mention_id}: SHA-256 mismatch")
        return problems
