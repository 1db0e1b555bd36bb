"""E-mail deliveries: each e-mail owed once per (kind, key, recipient), its attempts and retry time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from monitor.storage.database import Database, to_record
from monitor.storage.models import DeliveryRow
from monitor.stored import Delivery


class Deliveries:
    """The e-mails owed and sent."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def delivery_due(self, kind: str, key: str, recipient: str, now: datetime) -> bool:
        """Record that an e-mail is owed (once) and say whether to try sending it now: not if it was
        sent already, nor while a failed attempt's retry time has not come."""
        with self.db.session() as s:
            row = s.scalar(
                select(DeliveryRow).where(
                    DeliveryRow.kind == kind, DeliveryRow.key == key, DeliveryRow.recipient == recipient
                )
            )
            if row is None:
                s.add(
                    DeliveryRow(
                        kind=kind, key=key, recipient=recipient, status="pending", attempts=0, created_at=now
                    )
                )
                return True
            return row.status != "sent" and (row.next_attempt_at is None or row.next_attempt_at <= now)

    def delivery_result(
        self,
        kind: str,
        key: str,
        recipient: str,
        now: datetime,
        *,
        message_id: str | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Mark an attempt: sent (with its Message-ID), or failed (with the error and the retry time)."""
        with self.db.session() as s:
            row = s.scalar(
                select(DeliveryRow).where(
                    DeliveryRow.kind == kind, DeliveryRow.key == key, DeliveryRow.recipient == recipient
                )
            )
            if row is None:
                row = DeliveryRow(kind=kind, key=key, recipient=recipient, attempts=0, created_at=now)
                s.add(row)
            row.attempts = (row.attempts or 0) + 1
            if error is None:
                row.status, row.sent_at, row.message_id = "sent", now, message_id
                row.last_error = row.next_attempt_at = None
            else:
                row.status, row.last_error, row.next_attempt_at = "pending", error, retry_at

    def deliveries(
        self, *, kind: str | None = None, pending_only: bool = False, limit: int = 50
    ) -> list[Delivery]:
        """Recent deliveries, newest first."""
        with self.db.session() as s:
            q = select(DeliveryRow).order_by(DeliveryRow.id.desc()).limit(limit)
            if kind:
                q = q.where(DeliveryRow.kind == kind)
            if pending_only:
                q = q.where(DeliveryRow.status != "sent")
            return [to_record(Delivery, r) for r in s.scalars(q)]
