"""Sources: each one's cursor and health, "poll now" requests, and the lock that makes one process the
poller of a source."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from monitor.storage.chain import AuditChain
from monitor.storage.database import Database
from monitor.storage.models import SourceStateRow
from monitor.stored import SourceState


def save_source(
    s: Session,
    name: str,
    now: datetime,
    *,
    cursor: dict[str, object] | None = None,
    status: str,
    error: str | None,
    success: bool = False,
    reset_at: datetime | None = None,
) -> None:
    """Write a source's state in the caller's transaction (a page's cursor goes with its mentions)."""
    row = s.get(SourceStateRow, name)
    if row is None:
        row = SourceStateRow(name=name, cursor={}, status=status, updated_at=now)
        s.add(row)
    if cursor is not None:
        row.cursor = dict(cursor)
    row.status = status
    row.last_error = error
    row.reset_at = reset_at
    row.updated_at = now
    if success:
        row.last_success_at = now


def _source_state(r: SourceStateRow) -> SourceState:
    return SourceState(
        r.name,
        dict(r.cursor),
        r.status,
        r.last_error,
        r.last_success_at,
        r.reset_at,
        r.poll_requested_at,
        r.poll_requested_by,
        r.updated_at,
    )


class Sources:
    """The sources' stored state."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def source_state(self, name: str) -> SourceState | None:
        """One source's state, or None before it was first polled."""
        with self.db.session() as s:
            row = s.get(SourceStateRow, name)
            return _source_state(row) if row is not None else None

    def sources(self) -> list[SourceState]:
        """Every source's state, by name."""
        with self.db.session() as s:
            return [_source_state(r) for r in s.scalars(select(SourceStateRow).order_by(SourceStateRow.name))]

    @contextmanager
    def source_lock(self, name: str) -> Iterator[bool]:
        """Try to become the one process polling source ``name``; yields whether this process holds it.

        PostgreSQL: a session advisory lock (``pg_try_advisory_lock``), shared by every machine using the
        database and released when the block ends or the process dies. SQLite: an exclusive ``flock`` on a
        lock file beside the database (workers share one machine with it).
        """
        digest = hashlib.sha256(f"repmon-source:{name}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        if self.db.engine.dialect.name == "postgresql":
            with self.db.engine.connect() as conn:
                held = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
                conn.commit()
                try:
                    yield held
                finally:
                    if held:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        database = self.db.engine.url.database
        if self.db.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            yield True
            return
        import fcntl

        with open(f"{database}.source-{key & 0xFFFFFFFF:08x}.lock", "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def request_poll(self, name: str, actor: str, now: datetime) -> None:
        """Ask the running monitor to poll a source at its next pass, before its interval has passed
        (a rate limit still holds); audited."""
        with self.db.session() as s:
            row = s.get(SourceStateRow, name)
            if row is None:
                row = SourceStateRow(name=name, cursor={}, status="ok", updated_at=now)
                s.add(row)
            row.poll_requested_at, row.poll_requested_by = now, actor
            self.chain.append(s, now, actor, "poll_now", None, {"source": name})

    def mark_source(
        self,
        name: str,
        now: datetime,
        *,
        status: str,
        error: str | None = None,
        reset_at: datetime | None = None,
    ) -> None:
        """Record a source's health (ok, failing, rate_limited) without touching its cursor."""
        with self.db.session() as s:
            save_source(s, name, now, status=status, error=error, success=status == "ok", reset_at=reset_at)

    # -- classification -------------------------------------------------------------------------
