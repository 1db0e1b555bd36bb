"""The reply outbox: replies the dashboard or the CLI queued, which the running monitor posts.

A row is written with its "reply queued" audit event in one transaction. The monitor claims a row by a
conditional UPDATE (``queued`` -> ``posting``, only if it is still queued), committed before the
platform is called: of two claimants (two monitors, `repmon run --once` beside `repmon run`) exactly
one changes the row, on SQLite and PostgreSQL alike, so a reply is never posted twice. A row found in
``posting`` long after its claim belongs to a monitor that stopped mid-post: it becomes ``failed``, for a
person to check the platform, and is never sent again by itself.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.errors import WorkflowError
from monitor.i18n import N_
from monitor.storage.chain import AuditChain
from monitor.storage.database import Database
from monitor.storage.models import ACTIVE_OUTBOX, OutboxRow, TriageItemRow

# The audit actor of what the monitor does to the outbox on its own (a failed attempt, a stuck post).
MONITOR_ACTOR = "repmon:monitor"
STUCK_ADVICE = "check the platform before retrying"


@dataclass(frozen=True)
class OutboxEntry:
    """One reply in the outbox, as stored."""

    id: int
    item_id: int
    platform: str
    in_reply_to: str
    text: str
    language: str
    queued_by: str
    queued_at: datetime
    status: str  # queued, posting, posted, failed
    attempts: int
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    last_error: str | None
    platform_reply_id: str | None
    posted_at: datetime | None


def _entry(r: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        r.id, r.item_id, r.platform, r.in_reply_to, r.text, r.language, r.queued_by, r.queued_at,
        r.status, r.attempts, r.next_attempt_at, r.claimed_at, r.last_error, r.platform_reply_id,
        r.posted_at,
    )  # fmt: skip


class OutboxRepository:
    """The replies people queued, and what became of each (see the module's docstring)."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def _session(self) -> AbstractContextManager[Session]:
        return self.db.session()

    def _audit(self, s: Session, now: datetime, actor: str, action: str, item_id: int, detail: dict) -> None:
        self.chain.append(s, now, actor, action, item_id, detail)

    def enqueue(
        self,
        item_id: int,
        platform: str,
        in_reply_to: str,
        text: str,
        language: str,
        actor: str,
        now: datetime,
    ) -> OutboxEntry:
        """Queue a reply, with its "queue_reply" audit event, in one transaction. ``WorkflowError`` if the
        item already has one queued or being posted (checked by a unique index, so two clicks or two
        processes at once still queue one)."""
        with self._session() as s:
            if s.get(TriageItemRow, item_id) is None:
                raise WorkflowError(N_("no queue item {item_id}: see `repmon queue --all`"), item_id=item_id)
            active = s.scalar(
                select(OutboxRow.id).where(OutboxRow.item_id == item_id, OutboxRow.status.in_(ACTIVE_OUTBOX))
            )
            if active is not None:
                raise _busy(item_id, active)
            row = OutboxRow(
                item_id=item_id, platform=platform, in_reply_to=in_reply_to, text=text, language=language,
                queued_by=actor, queued_at=now, status="queued", attempts=0,
            )  # fmt: skip
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise _busy(item_id, None) from None
            self._audit(s, now, actor, "queue_reply", item_id, {"outbox": row.id, "text": text})
            return _entry(row)

    def claim(self, now: datetime, limit: int = 20) -> list[OutboxEntry]:
        """Take up to ``limit`` queued rows that are due, each moved to ``posting`` (attempts + 1) and
        committed before it is returned; a row another claimant took first is skipped."""
        taken = (self.take(row_id, now) for row_id in self.due(now, limit))
        return [entry for entry in taken if entry is not None]

    def due(self, now: datetime, limit: int = 20) -> list[int]:
        """The ids of queued rows whose next attempt is due, oldest first (not yet claimed)."""
        with self._session() as s:
            return list(
                s.scalars(
                    select(OutboxRow.id)
                    .where(
                        OutboxRow.status == "queued",
                        (OutboxRow.next_attempt_at.is_(None)) | (OutboxRow.next_attempt_at <= now),
                    )
                    .order_by(OutboxRow.id)
                    .limit(limit)
                )
            )

    def take(self, row_id: int, now: datetime) -> OutboxEntry | None:
        """Claim one row: ``queued`` -> ``posting`` by a conditional UPDATE, committed on return; None
        if it is no longer queued (another claimant took it: on PostgreSQL the second UPDATE waits for
        the first to commit, then finds the row changed)."""
        with self._session() as s:
            won = s.scalar(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.status == "queued")
                .values(status="posting", claimed_at=now, attempts=OutboxRow.attempts + 1)
                .returning(OutboxRow.id)
                .execution_options(synchronize_session=False)
            )
            row = s.get(OutboxRow, row_id, populate_existing=True) if won is not None else None
            return _entry(row) if row is not None else None

    def mark_posted(self, row_id: int, platform_reply_id: str, now: datetime) -> OutboxEntry:
        """Record the platform's id of a posted reply: the caller's row, in ``posting`` (or ``failed``,
        if it was taken for stuck while the platform was slow to answer: the reply is on the platform)."""
        with self._session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None or row.status not in ("posting", "failed"):
                raise WorkflowError(f"outbox row {row_id} is not being posted: nothing recorded")
            row.status, row.platform_reply_id, row.posted_at = "posted", platform_reply_id, now
            row.next_attempt_at, row.last_error = None, None
            return _entry(row)

    def note(self, row_id: int, message: str) -> None:
        """Keep a message on a row without changing its status (e.g. posted, but the item could not be
        marked responded)."""
        with self._session() as s:
            row = s.get(OutboxRow, row_id)
            if row is not None:
                row.last_error = message

    def mark_attempt_failed(
        self, row_id: int, error: str, now: datetime, retry_at: datetime | None
    ) -> OutboxEntry:
        """A failed attempt, audited: back to ``queued`` until ``retry_at``, or ``failed`` when
        ``retry_at`` is None (no attempts left, or an error a retry cannot fix)."""
        with self._session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None or row.status != "posting":
                raise WorkflowError(f"outbox row {row_id} is not being posted: nothing recorded")
            row.status = "queued" if retry_at is not None else "failed"
            row.next_attempt_at, row.last_error = retry_at, error
            detail = {"outbox": row.id, "attempts": row.attempts, "error": error, "status": row.status}
            if retry_at is not None:
                detail["retry_at"] = retry_at.isoformat(timespec="seconds")
            self._audit(s, now, MONITOR_ACTOR, "reply_failed", row.item_id, detail)
            return _entry(row)

    def fail_stuck(self, claimed_before: datetime, now: datetime) -> list[OutboxEntry]:
        """Every row still ``posting`` that was claimed before ``claimed_before`` (its monitor stopped
        mid-post): ``failed``, audited, with the advice to check the platform. Never re-sent."""
        out = []
        with self._session() as s:
            rows = s.scalars(
                select(OutboxRow)
                .where(OutboxRow.status == "posting", OutboxRow.claimed_at < claimed_before)
                .order_by(OutboxRow.id)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                since = row.claimed_at.isoformat(timespec="seconds") if row.claimed_at else "?"
                row.status = "failed"
                row.last_error = (
                    f"the monitor stopped while posting this reply (since {since}); it may or may not be on "
                    f"the platform: {STUCK_ADVICE}, then mark the item responded or post it again"
                )
                detail = {"outbox": row.id, "attempts": row.attempts, "error": row.last_error}
                self._audit(s, now, MONITOR_ACTOR, "reply_failed", row.item_id, detail | {"status": "failed"})
                out.append(_entry(row))
        return out

    def latest(self, item_id: int) -> OutboxEntry | None:
        """The item's most recent outbox row, if any."""
        with self._session() as s:
            row = s.scalar(
                select(OutboxRow).where(OutboxRow.item_id == item_id).order_by(OutboxRow.id.desc()).limit(1)
            )
            return _entry(row) if row else None

    def unsettled(self, limit: int = 20) -> list[OutboxEntry]:
        """Rows not posted (queued, posting, failed) that are their item's latest, oldest first: what
        `repmon status` shows."""
        with self._session() as s:
            latest = select(func.max(OutboxRow.id)).group_by(OutboxRow.item_id)
            rows = s.scalars(
                select(OutboxRow)
                .where(OutboxRow.id.in_(latest), OutboxRow.status != "posted")
                .order_by(OutboxRow.id)
                .limit(limit)
            ).all()
            return [_entry(r) for r in rows]

    def entries(self, item_id: int) -> list[OutboxEntry]:
        """The item's rows, oldest first."""
        with self._session() as s:
            rows = s.scalars(select(OutboxRow).where(OutboxRow.item_id == item_id).order_by(OutboxRow.id))
            return [_entry(r) for r in rows]


def _busy(item_id: int, row_id: int | None) -> WorkflowError:
    if row_id:
        return WorkflowError(
            N_(
                "item {item_id} already has a reply waiting to be posted (outbox #{row_id}): the running "
                "monitor posts it; see the item page or `repmon status`"
            ),
            item_id=item_id,
            row_id=row_id,
        )
    return WorkflowError(
        N_(
            "item {item_id} already has a reply waiting to be posted: the running monitor posts it; "
            "see the item page or `repmon status`"
        ),
        item_id=item_id,
    )
