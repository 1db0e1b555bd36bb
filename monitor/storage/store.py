"""The one storage API. SQLite (WAL) by default, any SQLAlchemy URL otherwise.

Writes are idempotent on ``(platform, external_id)``; a source page's mentions, snapshots and cursor are
committed in one transaction, so a crash never loses or repeats work.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from classifiers.virality import MetricSnapshot
from monitor.errors import (
    MonitorError,
    StorageBusy,
    StorageCorrupt,
    StorageError,
    StorageFull,
    StorageReadOnly,
)
from monitor.records import (
    MAX_ITEM_ID,
    UNASSIGNED,
    Capture,
    Mention,
    MentionMetrics,
    QueueFilter,
    QueueItem,
    Share,
    TriageDecision,
    Virality,
    valid_text,
)
from monitor.storage import audit
from monitor.storage.models import (
    AuditEventRow,
    CaptureRow,
    ClassificationRow,
    CorrectionRow,
    DeliveryRow,
    JobRunRow,
    JobStateRow,
    MentionRow,
    MetricSnapshotRow,
    RawPayloadRow,
    ReplyRow,
    ShareRow,
    SignInFailureRow,
    SourceStateRow,
    TriageItemRow,
    UserRow,
)
from monitor.triage import LEGAL, LEGAL_PLAYBOOKS
from monitor.users import ADMIN_ACTOR, SIGN_IN_ACTOR, Failures, after_failure
from monitor.workflow import OPEN_STATUSES, WorkflowError, next_state

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock that serializes appends to the audit chain (a 64-bit key of its own).
AUDIT_CHAIN_LOCK = int.from_bytes(hashlib.sha256(b"repmon-audit-chain").digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class SourceState:
    name: str
    cursor: dict[str, object]
    status: str
    last_error: str | None
    last_success_at: datetime | None
    reset_at: datetime | None
    poll_requested_at: datetime | None = None
    poll_requested_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SavedPage:
    new_mentions: int
    new_snapshots: int


def database_url(data_dir: str | Path, url: str | None) -> str:
    """The configured URL, or a SQLite file ``repmon.db`` in the data directory."""
    if url:
        return url
    return f"sqlite:///{Path(data_dir).expanduser().resolve() / 'repmon.db'}"


# How long a SQLite writer waits for another connection's write (the dashboard, a worker, a CLI command)
# to finish. SQLite's busy handler is the retry: it re-tries the lock with growing sleeps (1 ms up to
# 100 ms) before anything of the transaction is written, the one point where a retry is always safe.
# A whole transaction is not replayed after its body ran (the body may have called an API or the
# classifier): past this limit the caller gets a StorageError, and a scheduled job retries on its next
# run from the stored cursor. Under WAL, readers never wait for a writer.
BUSY_TIMEOUT_S = 10.0
MIGRATION_LOCK_ID = 0x7265706D6F6E  # "repmon": the PostgreSQL advisory lock held while migrating


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB page cache: indexes stay in memory as they grow
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


# SQLite's primary result codes (``sqlite3.Error.sqlite_errorname``, extended names start with them) and
# PostgreSQL's SQLSTATEs, for each kind of storage error.
_SQLITE_KINDS = {
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
    "SQLITE_FULL": "full",
    "SQLITE_READONLY": "readonly",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_CANTOPEN": "cantopen",
}
_PG_KINDS = {"55P03": "busy", "40P01": "busy", "57014": "busy", "53100": "full", "25006": "readonly"}


def _storage_kind(orig: BaseException) -> type[StorageError] | str | None:
    """Which storage error a driver error is: a StorageError subclass, "cantopen", or None."""
    name = getattr(orig, "sqlite_errorname", None)
    code = None
    if isinstance(name, str):
        code = next((v for k, v in _SQLITE_KINDS.items() if name == k or name.startswith(k + "_")), None)
    sqlstate = getattr(orig, "sqlstate", None)
    if code is None and isinstance(sqlstate, str):
        code = _PG_KINDS.get(sqlstate)
    if code is None:  # a driver without codes, or an error raised before one was set: its message
        msg = str(orig)
        if "file is not a database" in msg or "malformed" in msg:
            code = "corrupt"
        elif "database is locked" in msg or "database table is locked" in msg:
            code = "busy"
        elif "database or disk is full" in msg or "No space left on device" in msg:
            code = "full"
        elif "readonly" in msg or "read-only" in msg:
            code = "readonly"
        elif "unable to open database" in msg:
            code = "cantopen"
    kinds = {"busy": StorageBusy, "full": StorageFull, "readonly": StorageReadOnly, "corrupt": StorageCorrupt}
    return kinds.get(code or "", code)


class Store:
    """Everything the rest of repmon reads from or writes to the database goes through here."""

    def __init__(
        self, url: str, data_dir: str | Path | None = None, *, key_file: str | Path | None = None
    ) -> None:
        """The audit chain's checkpoint and (unless ``key_file`` names another file) its key live in
        the SQLite database's folder, or in ``data_dir`` for another database (with neither, the key
        lives in memory only)."""
        self.url = url
        self.engine: Engine = self._engine(url)
        folder: Path | None = None
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            folder = Path(url.removeprefix("sqlite:///")).resolve().parent  # beside the database file
        elif data_dir is not None:
            folder = Path(data_dir).expanduser().resolve()
        self.key_file: Path | None = (
            Path(key_file).expanduser() if key_file else (folder / audit.KEY_FILE if folder else None)
        )
        self.checkpoint_file: Path | None = folder / audit.CHECKPOINT_FILE if folder else None
        self._audit_key: bytes | None = None

    @property
    def audit_key(self) -> bytes:
        """The audit chain's HMAC key, read from (or, the first time, made in) ``key_file``."""
        if self._audit_key is None:
            self._audit_key = audit.load_or_create_key(self.key_file) if self.key_file else os.urandom(32)
        return self._audit_key

    @staticmethod
    def _engine(url: str) -> Engine:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            path = Path(url.removeprefix("sqlite:///"))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # A probe of its own: processes opening the same folder at once never remove each other's.
                with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".repmon-write-test-"):
                    pass
            except OSError as exc:
                raise StorageError(
                    f"data directory {path.parent} is not writable ({exc.strerror}): "
                    "set REPMON_DATA_DIR to a writable folder"
                ) from exc
        try:
            engine = create_engine(url)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StorageError(
                f"cannot use database URL {_redact(url)!r}: {exc}: check REPMON_DATABASE_URL"
            ) from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    @classmethod
    def open(
        cls,
        data_dir: str | Path = "data",
        url: str | None = None,
        *,
        migrate: bool = True,
        key_file: str | Path | None = None,
    ) -> Store:
        """Open (and by default create or migrate) the configured database. The audit key is
        ``key_file``, else REPMON_AUDIT_KEY_FILE, else ``audit.key`` in ``data_dir``."""
        key_file = key_file or os.environ.get("REPMON_AUDIT_KEY_FILE") or None
        store = cls(database_url(data_dir, url), data_dir, key_file=key_file)
        if migrate:
            store.migrate()
        return store

    # -- schema ---------------------------------------------------------------------------------

    def migrate(self) -> str:
        """Create the schema or bring it to the newest Alembic revision; returns that revision."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            # The lock is taken before connecting: a new connection's own settings (WAL) need the
            # database, which the migrating process holds for the whole upgrade.
            with self._migration_lock(), self.engine.connect() as conn:
                on_sqlite = conn.dialect.name == "sqlite"
                if on_sqlite:
                    # Alembic's batch mode changes a SQLite table by copying it and dropping the old one,
                    # which enforced foreign keys refuse while other rows point at it (an item's audit
                    # events): enforcement is off while migrating. The pragma only acts between transactions.
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    conn.commit()
                try:
                    with conn.begin():
                        if not on_sqlite:
                            # Several `repmon init` (or workers starting) at once on an empty database:
                            # one migrates, the others wait here and then find the schema at head.
                            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
                        cfg.attributes["connection"] = conn
                        cfg.attributes["store"] = self  # the audit key, for re-signing the chain (0010)
                        command.upgrade(cfg, "head")
                        revision = self.schema_revision(conn)
                finally:
                    if on_sqlite:
                        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                        conn.commit()
        except DatabaseError as exc:
            raise self._storage_error(exc) from exc
        if head := cfg.attributes.get("audit_head"):
            self._write_checkpoint(*head)
        return revision

    def _migration_lock(self):  # noqa: ANN202 - a context manager
        """On a SQLite file, a lock file beside it held while migrating, so that concurrent migrations
        run one after the other (PostgreSQL uses an advisory lock instead)."""
        import contextlib

        from filelock import FileLock, Timeout

        if not self.url.startswith("sqlite:///") or self.url.startswith("sqlite:///:memory:"):
            return contextlib.nullcontext()
        lock = FileLock(self.url.removeprefix("sqlite:///") + ".migrate-lock", timeout=120)

        @contextlib.contextmanager
        def held():  # noqa: ANN202
            try:
                lock.acquire()
            except Timeout:
                raise StorageError(
                    f"database {_redact(self.url)}: another repmon has been migrating it for 2 minutes "
                    f"({lock.lock_file}): wait for it, or stop it and run `repmon init` again"
                ) from None
            try:
                yield
            finally:
                lock.release()

        return held()

    def schema_revision(self, conn: object | None = None) -> str:
        from alembic.runtime.migration import MigrationContext

        def read(c: object) -> str:
            return MigrationContext.configure(c).get_current_revision() or "none"

        if conn is not None:
            return read(conn)
        with self.engine.connect() as c:
            return read(c)

    def _storage_error(self, exc: Exception) -> StorageError:
        """The driver's error as one of the tree, by its error code (SQLite's name, PostgreSQL's
        SQLSTATE), with a message that says what to do."""
        orig = getattr(exc, "orig", exc)
        msg = str(orig)
        kind = _storage_kind(orig)
        url = _redact(self.url)
        if kind is StorageCorrupt:
            return StorageCorrupt(
                f"database {url} is corrupt or not a SQLite file ({msg}): "
                "move it aside and run `repmon init` to start a new one"
            )
        if kind is StorageBusy:
            return StorageBusy(
                f"database {url} is locked: another connection (the dashboard, a worker, another repmon "
                f"command) held a write for over {BUSY_TIMEOUT_S:g} s ({msg}); nothing of this change was "
                "stored: try again, and if it persists stop the process that holds the database"
            )
        if kind is StorageFull:
            return StorageFull(
                f"database {url}: the disk is full ({msg}); nothing of this change was stored: "
                "free space on the disk that holds the database, then try again"
            )
        if kind is StorageReadOnly:
            return StorageReadOnly(
                f"cannot write database {url} ({msg}): the file, its folder or its disk is read-only; "
                "nothing of this change was stored: make it writable or point REPMON_DATA_DIR elsewhere"
            )
        if kind == "cantopen":
            return StorageError(
                f"cannot open database {url} ({msg}): its folder is missing, not writable or on a "
                "read-only disk: check REPMON_DATA_DIR"
            )
        return StorageError(f"database error on {url}: {msg}")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session
                head = session.info.pop("audit_head", None)
        except (DatabaseError, OperationalError) as exc:
            raise self._storage_error(exc) from exc
        if head is not None:
            self._write_checkpoint(*head)

    def _write_checkpoint(self, events: int, head: str) -> None:
        """Record the chain's length and head outside the database, once its events are committed. The
        change itself is stored: a checkpoint that cannot be written is logged, and `repmon verify` then
        compares with the last one written."""
        if self.checkpoint_file is None:
            return
        try:
            audit.write_checkpoint(self.checkpoint_file, events, head)
        except (OSError, MonitorError) as exc:
            log.warning(
                "audit checkpoint %s not updated (%s): the change was stored; make the folder writable",
                self.checkpoint_file,
                exc,
            )

    # -- ingest ---------------------------------------------------------------------------------

    def _insert(self, model: type):  # noqa: ANN202 - a dialect insert construct
        """A Core INSERT (not the ORM bulk path, which is several times slower here)."""
        table = model.__table__
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return sqlite.insert(table)
        if dialect == "postgresql":
            return postgresql.insert(table)
        raise StorageError(f"database dialect {dialect!r} is not supported: use SQLite or PostgreSQL")

    def save_page(
        self,
        source: str,
        mentions: Sequence[Mention],
        metrics: Sequence[MentionMetrics],
        cursor: dict[str, object] | None,
        now: datetime,
        shares: Sequence[Share] = (),
        captures: Sequence[Capture] = (),
    ) -> SavedPage:
        """Store a page of mentions, snapshots, shares and the source's cursor, in one transaction."""
        seals: dict[str, dict[str, str]] = {}
        with self.session() as s:
            new = self._upsert_mentions(s, mentions, now, seals)
            snaps = self._insert_snapshots(s, metrics, seals)
            self._insert_shares(s, shares, now)
            self._insert_captures(s, captures)
            if cursor is not None:
                self._save_source(s, source, now, cursor=cursor, status="ok", error=None, success=True)
            if new or snaps:
                # One event per page seals what it stored (not one per mention: ingest stays fast).
                detail = {"source": source, "mentions": new, "snapshots": snaps}
                self._append_event(s, now, "repmon", "ingest", None, detail, seals)
        return SavedPage(new, snaps)

    def _upsert_mentions(
        self, s: Session, mentions: Sequence[Mention], now: datetime, seals: dict[str, dict[str, str]]
    ) -> int:
        if not mentions:
            return 0
        rows = [
            {
                "platform": m.platform,
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
            }
            for m in mentions
        ]
        unique = {(r["platform"], r["external_id"]): r for r in rows}
        stmt = (
            self._insert(MentionRow)
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
            s.execute(self._insert(RawPayloadRow).on_conflict_do_nothing(index_elements=["mention_id"]), raws)
            seals["payload"] = audit.row_seals("payload", raws)
        return len(new_ids)

    @staticmethod
    def _ids_for(s: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        by_platform: dict[str, list[str]] = {}
        for platform, ext in keys:
            by_platform.setdefault(platform, []).append(ext)
        out: dict[tuple[str, str], int] = {}
        for platform, exts in by_platform.items():
            for i in range(0, len(exts), 500):
                chunk = exts[i : i + 500]
                q = select(MentionRow.platform, MentionRow.external_id, MentionRow.id).where(
                    MentionRow.platform == platform, MentionRow.external_id.in_(chunk)
                )
                out.update({(p, e): i_ for p, e, i_ in s.execute(q)})
        return out

    def _insert_snapshots(
        self, s: Session, metrics: Sequence[MentionMetrics], seals: dict[str, dict[str, str]]
    ) -> int:
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
                self._insert(MetricSnapshotRow)
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
            stmt = self._insert(ShareRow).on_conflict_do_nothing(
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
                self._insert(CaptureRow).on_conflict_do_nothing(index_elements=["mention_id", "sha256"]), rows
            )

    def captures(self, platform: str, external_id: str) -> list[dict[str, object]]:
        """Later reads of a post, oldest first: capture time, SHA-256 and the exact bytes."""
        with self.session() as s:
            q = (
                select(CaptureRow)
                .join(MentionRow, MentionRow.id == CaptureRow.mention_id)
                .where(MentionRow.platform == platform, MentionRow.external_id == external_id)
                .order_by(CaptureRow.captured_at, CaptureRow.id)
            )
            return [{"captured_at": c.captured_at, "sha256": c.sha256, "body": c.body} for c in s.scalars(q)]

    def shares(self, platform: str, external_id: str) -> list[dict[str, object]]:
        """Who shared a post, in the order first seen."""
        with self.session() as s:
            q = (
                select(ShareRow)
                .join(MentionRow, MentionRow.id == ShareRow.mention_id)
                .where(MentionRow.platform == platform, MentionRow.external_id == external_id)
                .order_by(ShareRow.id)
            )
            return [
                {
                    "sharer_id": r.sharer_id,
                    "handle": r.sharer_handle,
                    "name": r.sharer_name,
                    "followers": r.sharer_followers,
                    "kind": r.kind,
                    "first_seen_at": r.first_seen_at,
                    "sha256": r.sha256,
                }
                for r in s.scalars(q)
            ]

    @staticmethod
    def _latest_snapshots(s: Session, mention_ids: Sequence[int]) -> dict[int, tuple[datetime, tuple]]:
        out: dict[int, tuple[datetime, tuple]] = {}
        for i in range(0, len(mention_ids), 500):
            chunk = mention_ids[i : i + 500]
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

    # -- sources --------------------------------------------------------------------------------

    def _save_source(
        self,
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

    @staticmethod
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

    def source_state(self, name: str) -> SourceState | None:
        with self.session() as s:
            row = s.get(SourceStateRow, name)
            return self._source_state(row) if row is not None else None

    def sources(self) -> list[SourceState]:
        with self.session() as s:
            return [
                self._source_state(r) for r in s.scalars(select(SourceStateRow).order_by(SourceStateRow.name))
            ]

    @contextmanager
    def source_lock(self, name: str) -> Iterator[bool]:
        """Try to become the one process polling source ``name``; yields whether this process holds it.

        PostgreSQL: a session advisory lock (``pg_try_advisory_lock``), shared by every machine using the
        database and released when the block ends or the process dies. SQLite: an exclusive ``flock`` on a
        lock file beside the database (workers share one machine with it).
        """
        digest = hashlib.sha256(f"repmon-source:{name}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                held = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
                conn.commit()
                try:
                    yield held
                finally:
                    if held:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
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
        with self.session() as s:
            row = s.get(SourceStateRow, name)
            if row is None:
                row = SourceStateRow(name=name, cursor={}, status="ok", updated_at=now)
                s.add(row)
            row.poll_requested_at, row.poll_requested_by = now, actor
            self._append_event(s, now, actor, "poll_now", None, {"source": name})

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
        with self.session() as s:
            self._save_source(
                s, name, now, status=status, error=error, success=status == "ok", reset_at=reset_at
            )

    # -- classification -------------------------------------------------------------------------

    def unclassified(self, model_version: str, limit: int) -> list[tuple[int, str]]:
        """Mentions with no classification by this model version yet, oldest first."""
        with self.session() as s:
            done = select(ClassificationRow.mention_id).where(
                ClassificationRow.model_version == model_version
            )
            q = (
                select(MentionRow.id, MentionRow.text)
                .where(MentionRow.id.not_in(done))
                .order_by(MentionRow.id)
                .limit(limit)
            )
            return [(i, t) for i, t in s.execute(q)]

    def save_classifications(self, rows: Sequence[tuple[int, object]], now: datetime) -> int:
        """Store predictions (``classifiers.Prediction``) for mention ids; a repeat is ignored."""
        if not rows:
            return 0
        values = [
            {
                "mention_id": mid,
                "model_version": p.model_version,
                "label": p.label,
                "scores": p.scores,
                "language": p.language,
                "created_at": now,
            }
            for mid, p in rows
        ]
        with self.session() as s:
            stmt = (
                self._insert(ClassificationRow)
                .on_conflict_do_nothing(index_elements=["mention_id", "model_version"])
                .returning(*ClassificationRow.__table__.c)
            )
            self._seal_classifications(s, s.execute(stmt, values).mappings().all(), now)
        return len(values)

    def _seal_classifications(self, s: Session, stored: Sequence, now: datetime) -> None:
        """One event seals a batch of stored predictions (their labels and scores)."""
        if stored:
            versions = sorted({r["model_version"] for r in stored})
            detail = {"model_version": ", ".join(versions), "classifications": len(stored)}
            seals = {"classification": audit.row_seals("classification", stored)}
            self._append_event(s, now, "repmon", "classify", None, detail, seals)

    def classify_claimed(
        self,
        model_version: str,
        limit: int,
        predict: Callable[[list[str]], Sequence[object]],
        now: datetime,
    ) -> list[int]:
        """Claim up to ``limit`` unclassified mentions, classify them and store the predictions, in one
        transaction; returns the ids this call classified (each mention is classified by one caller).

        On PostgreSQL the claimed rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent workers
        (any number, on any machines) take disjoint batches and none waits for another. On SQLite the
        insert ignores a mention another process classified meanwhile, and only the rows this call
        inserted are returned.
        """
        with self.session() as s:
            done = select(ClassificationRow.mention_id).where(
                ClassificationRow.model_version == model_version
            )
            q = (
                select(MentionRow.id, MentionRow.text)
                .where(MentionRow.id.not_in(done))
                .order_by(MentionRow.id)
                .limit(limit)
            )
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True, of=MentionRow)
            while True:
                claimed = s.execute(q).all()
                if not claimed:
                    return []
                # A row another worker finished between our snapshot and our lock is locked but done: its
                # classification is in a table the lock does not re-check. A fresh statement sees it; if
                # the whole batch was done meanwhile, claim again (those rows stay locked, so are skipped).
                finished = set(
                    s.scalars(
                        select(ClassificationRow.mention_id).where(
                            ClassificationRow.model_version == model_version,
                            ClassificationRow.mention_id.in_([mid for mid, _ in claimed]),
                        )
                    )
                )
                rows = [(mid, t) for mid, t in claimed if mid not in finished]
                if rows:
                    break
            preds = predict([t for _, t in rows])
            values = [
                {"mention_id": mid, "model_version": p.model_version, "label": p.label, "scores": p.scores,
                 "language": p.language, "created_at": now}
                for (mid, _), p in zip(rows, preds, strict=True)
            ]  # fmt: skip
            stmt = (
                self._insert(ClassificationRow)
                .on_conflict_do_nothing(index_elements=["mention_id", "model_version"])
                .returning(*ClassificationRow.__table__.c)
            )
            stored = s.execute(stmt, values).mappings().all()
            self._seal_classifications(s, stored, now)
            return [r["mention_id"] for r in stored]

    # -- triage ---------------------------------------------------------------------------------

    def triage_candidates(
        self,
        model_version: str,
        now: datetime,
        limit: int = 10_000,
        offset: int = 0,
        mention_ids: Sequence[int] | None = None,
    ) -> list[dict]:
        """Classified mentions needing a (re)triage: no item yet, or an open item to re-score (only
        those of ``mention_ids`` when given)."""
        with self.session() as s:
            q = (
                select(MentionRow, ClassificationRow, TriageItemRow)
                .join(ClassificationRow, ClassificationRow.mention_id == MentionRow.id)
                .outerjoin(TriageItemRow, TriageItemRow.mention_id == MentionRow.id)
                .where(ClassificationRow.model_version == model_version)
                .where(MentionRow.from_business.is_(False))
                .where((TriageItemRow.id.is_(None)) | (TriageItemRow.status.in_(OPEN_STATUSES)))
                .order_by(MentionRow.id)
                .limit(limit)
                .offset(offset)
            )
            if mention_ids is not None:
                q = q.where(MentionRow.id.in_(list(mention_ids)))
            out = []
            rows = s.execute(q).all()
            corrected = self._corrected_labels(s, [m.id for m, _, _ in rows])
            for m, c, t in rows:
                label = corrected.get(m.id, c.label)
                out.append(
                    {
                        "mention": m,
                        "label": label,
                        "scores": dict(c.scores),
                        "language": c.language,
                        "item": t,
                    }
                )
            return out

    def snapshots(self, mention_ids: Sequence[int]) -> dict[int, list[MetricSnapshot]]:
        out: dict[int, list[MetricSnapshot]] = {i: [] for i in mention_ids}
        with self.session() as s:
            for i in range(0, len(mention_ids), 500):
                q = (
                    select(MetricSnapshotRow)
                    .where(MetricSnapshotRow.mention_id.in_(mention_ids[i : i + 500]))
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

    def save_triage(self, rows: Sequence[tuple[int, TriageDecision, Virality]], now: datetime) -> int:
        """Create triage items, or re-score open ones (status and assignee are left as they are)."""
        if not rows:
            return 0
        with self.session() as s:
            existing = {
                t.mention_id: t
                for i in range(0, len(rows), 500)
                for t in s.scalars(
                    select(TriageItemRow).where(
                        TriageItemRow.mention_id.in_([r[0] for r in rows[i : i + 500]])
                    )
                )
            }
            before = audit.row_seals("item", existing.values())
            touched = []
            for mid, decision, vir in rows:
                item = existing.get(mid)
                if item is None:
                    touched.append(
                        TriageItemRow(
                            mention_id=mid,
                            playbook=decision.playbook,
                            priority=decision.priority,
                            status="new",
                            sla_due_at=decision.sla_due_at,
                            virality=vir.score,
                            forecast_24h=vir.forecast_24h,
                            reasons=list(decision.reasons),
                            label=decision.label,
                            language=decision.language,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    s.add(touched[-1])
                elif item.status in OPEN_STATUSES:
                    item.playbook = decision.playbook
                    item.priority = decision.priority
                    item.sla_due_at = min(item.sla_due_at, decision.sla_due_at)
                    item.virality = vir.score
                    item.forecast_24h = vir.forecast_24h
                    item.reasons = list(decision.reasons)
                    item.label = decision.label or item.label
                    item.language = decision.language or item.language
                    item.updated_at = now
                    touched.append(item)
            s.flush()  # the new items' ids
            seals = {k: v for k, v in audit.row_seals("item", touched).items() if before.get(k) != v}
            if seals:
                detail = {"items": len(seals)}
                self._append_event(s, now, "repmon", "triage", None, detail, {"item": seals})
        return len(rows)

    def queue_item(self, item_id: int) -> QueueItem | None:
        """One queue item by id, whatever its status; None also for an id no database can hold."""
        if not 1 <= item_id <= MAX_ITEM_ID:
            return None
        with self.session() as s:
            q = self._queue_select().where(TriageItemRow.id == item_id)
            found = self._queue_items(s, s.execute(q).all())
        return found[0] if found else None

    @staticmethod
    def _queue_select():  # noqa: ANN205 - a SQLAlchemy Select
        return select(TriageItemRow, MentionRow).join(MentionRow, MentionRow.id == TriageItemRow.mention_id)

    @staticmethod
    def _queue_where(q, f: QueueFilter):  # noqa: ANN001, ANN205 - SQLAlchemy Select in and out
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
        if f.legal:
            q = q.where(
                TriageItemRow.playbook.in_(LEGAL_PLAYBOOKS)
                | TriageItemRow.label.in_(LEGAL)
                | TriageItemRow.status.in_(("escalated", "legal_review", "decided"))
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
        with self.session() as s:
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
        with self.session() as s:
            q = select(func.count(TriageItemRow.id))
            # Join the mentions only when the filter needs their columns: counting open items stays an
            # index count instead of 100,000 primary-key lookups.
            if f.platforms or f.since or f.until or f.own_page is not None or f.search.strip():
                q = q.join(MentionRow, MentionRow.id == TriageItemRow.mention_id)
            return s.scalar(self._queue_where(q, f)) or 0

    def thread(self, item_id: int, limit: int = 200) -> list[dict[str, object]]:
        """An item's thread (or its parent and replies), oldest first, the item itself included."""
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                return []
            m = s.get(MentionRow, item.mention_id)
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
                {
                    "external_id": r.external_id,
                    "author": r.author_handle,
                    "created_at": r.created_at,
                    "text": r.text,
                    "language": r.language,
                    "from_business": r.from_business,
                    "this": r.id == m.id,
                    "deleted_at": r.deleted_at,
                }
                for r in s.scalars(q)
            ]

    def mention_id_of(self, item_id: int) -> int | None:
        with self.session() as s:
            return s.scalar(select(TriageItemRow.mention_id).where(TriageItemRow.id == item_id))

    def assignees(self) -> list[str]:
        """Everyone an item is assigned to (an index scan over assigned items only)."""
        with self.session() as s:
            q = (
                select(TriageItemRow.assignee)
                .where(TriageItemRow.assignee.is_not(None))
                .distinct()
                .order_by(TriageItemRow.assignee)
            )
            return list(s.scalars(q))

    def _queue_items(self, s: Session, rows: Sequence) -> list[QueueItem]:
        """Queue items for a page of (triage item, mention) rows, with each one's latest classification."""
        mids = [m.id for _, m in rows]
        latest: dict[int, ClassificationRow] = {}
        if mids:
            for c in s.scalars(
                select(ClassificationRow)
                .where(ClassificationRow.mention_id.in_(mids))
                .order_by(ClassificationRow.id)
            ):
                latest[c.mention_id] = c
        corrected = self._corrected_labels(s, mids)
        out = []
        for t, m in rows:
            c = latest.get(m.id)
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
                    scores=dict(c.scores) if c else {},
                    virality=t.virality,
                    forecast_24h=t.forecast_24h,
                    playbook=t.playbook,
                    priority=t.priority,
                    status=t.status,
                    sla_due_at=t.sla_due_at,
                    own_page=m.own_page,
                    is_demo=m.is_demo,
                    model_version=c.model_version if c else None,
                    assignee=t.assignee,
                    deleted_at=m.deleted_at,
                )
            )
        return out

    # -- platform state of posts ---------------------------------------------------------------

    def mark_deleted(self, platform: str, external_ids: Sequence[str], now: datetime) -> int:
        """Record that posts are gone from the platform (first time seen gone); their evidence stays."""
        if not external_ids:
            return 0
        with self.session() as s:
            result = s.execute(
                update(MentionRow)
                .where(
                    MentionRow.platform == platform,
                    MentionRow.external_id.in_(list(external_ids)),
                    MentionRow.deleted_at.is_(None),
                )
                .values(deleted_at=now)
            )
            return result.rowcount or 0

    def deleted_at(self, platform: str, external_id: str) -> datetime | None:
        with self.session() as s:
            return s.scalar(
                select(MentionRow.deleted_at).where(
                    MentionRow.platform == platform, MentionRow.external_id == external_id
                )
            )

    def business_posts(self, platform: str, since: datetime) -> list[str]:
        """External ids of the business's own posts on a platform created since ``since``."""
        with self.session() as s:
            q = select(MentionRow.external_id).where(
                MentionRow.platform == platform,
                MentionRow.from_business.is_(True),
                MentionRow.created_at >= since,
                MentionRow.deleted_at.is_(None),
            )
            return list(s.scalars(q))

    def open_mentions(self, platform: str, source: str | None = None, limit: int = 10_000) -> list[dict]:
        """Posts of a platform with an open queue item and not deleted, with their latest counters.

        Each row: ``external_id``, ``created_at``, ``parent_id``, ``last_at`` and ``engagement`` of
        the latest snapshot (None if none), and ``previous`` engagement (the snapshot before it).
        """
        with self.session() as s:
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
                    TriageItemRow.status.in_(OPEN_STATUSES),
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
                {
                    "external_id": ext,
                    "created_at": created,
                    "parent_id": parent,
                    "playbook": playbook,
                    "last_at": history[-1].at if history else None,
                    "engagement": history[-1].engagement if history else None,
                    "previous": history[-2].engagement if len(history) > 1 else None,
                }
            )
        return out

    # -- workflow and the audit chain -----------------------------------------------------------

    def _event_hash(
        self,
        prev: str,
        seq: int,
        at: datetime,
        actor: str,
        action: str,
        item_id: int | None,
        detail: dict,
        seals: dict,
    ) -> str:
        """HMAC-SHA256, under the key kept outside the database, of an event and its place in the chain."""
        fields = audit.event_fields(prev, seq, at, actor, action, item_id, detail, seals)
        return audit.event_hmac(self.audit_key, fields)

    def _append_event(
        self,
        s: Session,
        now: datetime,
        actor: str,
        action: str,
        item_id: int | None,
        detail: dict,
        seals: dict[str, dict[str, str]] | None = None,
    ) -> AuditEventRow:
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
            hash=self._event_hash(prev, seq, now, actor, action, item_id, detail, seals),
        )
        s.add(row)
        s.info["audit_head"] = (seq, row.hash)
        return row

    def audit_head(self) -> tuple[int, str]:
        """The audit chain's length and head hash ("" when empty), e.g. for the daily digest."""
        with self.session() as s:
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

    def act(
        self,
        item_id: int,
        action: str,
        actor: str,
        now: datetime,
        *,
        decision: str | None = None,
        reason: str | None = None,
        note: str | None = None,
    ) -> str:
        """Move an item through the workflow and record who did what, when; returns the new state."""
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise WorkflowError(f"no queue item {item_id}: see `repmon queue --all`")
            before = item.status
            after = next_state(before, action, decision=decision, reason=reason)
            item.status, item.updated_at = after, now
            detail: dict[str, object] = {"from": before, "to": after}
            if action == "decide":
                item.decision = decision
                detail["decision"] = decision
            if reason:
                detail["reason"] = reason
            if note:
                detail["note"] = note
            self._append_event(s, now, actor, action, item_id, detail, self._item_seals(item))
            return after

    @staticmethod
    def _item_seals(*items: TriageItemRow) -> dict[str, dict[str, str]]:
        return {"item": audit.row_seals("item", items)}

    @staticmethod
    def _corrected_labels(s: Session, mention_ids: Sequence[int]) -> dict[int, str]:
        """The latest correction's label for each mention that has one."""
        out: dict[int, str] = {}
        for i in range(0, len(mention_ids), 500):
            q = (
                select(CorrectionRow.mention_id, CorrectionRow.label)
                .where(CorrectionRow.mention_id.in_(mention_ids[i : i + 500]))
                .order_by(CorrectionRow.id)
            )
            out.update(dict(s.execute(q).all()))
        return out

    def correct(self, item_id: int, label: str, reason: str, actor: str, now: datetime) -> None:
        """Record a person's label for an item (with the reason) and audit it; triage follows it."""
        from classifiers import LABELS

        if label not in LABELS:
            raise WorkflowError(f"{label!r} is not a label: use one of {', '.join(LABELS)}")
        if not reason.strip():
            raise WorkflowError("a correction needs a reason (--reason)")
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise WorkflowError(f"no queue item {item_id}: see `repmon queue --all`")
            before = self._corrected_labels(s, [item.mention_id]).get(item.mention_id) or s.scalar(
                select(ClassificationRow.label)
                .where(ClassificationRow.mention_id == item.mention_id)
                .order_by(ClassificationRow.id.desc())
                .limit(1)
            )
            correction = CorrectionRow(
                mention_id=item.mention_id, label=label, reason=reason, actor=actor, at=now
            )
            s.add(correction)
            item.label, item.updated_at = label, now
            s.flush()  # the correction's id
            seals = self._item_seals(item) | {"correction": audit.row_seals("correction", [correction])}
            self._append_event(
                s, now, actor, "correct", item_id, {"from": before, "to": label, "reason": reason}, seals
            )

    def save_draft(self, item_id: int, text: str, language: str, actor: str, now: datetime) -> None:
        """Write or edit an item's reply draft (an edit withdraws any approval); a new item is started."""
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise WorkflowError(f"no queue item {item_id}: see `repmon queue --all`")
            if item.status not in ("new", "in_progress", "awaiting_approval"):
                raise WorkflowError(f"item {item_id} is {item.status}: its reply can no longer be drafted")
            if item.status == "new":
                item.status = next_state("new", "start")
                self._append_event(
                    s,
                    now,
                    actor,
                    "start",
                    item_id,
                    {"from": "new", "to": item.status},
                    self._item_seals(item),
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
            self._append_event(s, now, actor, "draft", item_id, {"language": language, "text": text})

    def approve(self, item_id: int, actor: str, approvers: Sequence[str], now: datetime) -> None:
        """Approve a submitted draft: by a configured approver, never by its own editor."""
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise WorkflowError(f"no queue item {item_id}: see `repmon queue --all`")
            reply = s.scalar(select(ReplyRow).where(ReplyRow.item_id == item_id))
            if reply is None:
                raise WorkflowError(
                    f"item {item_id} has no reply draft to approve: write one with `repmon draft`"
                )
            if item.status != "awaiting_approval":
                raise WorkflowError(
                    f"item {item_id} is {item.status}: submit the draft first (`repmon act {item_id} submit`)"
                )
            if approvers and actor not in approvers:
                raise WorkflowError(
                    f"{actor} may not approve replies: the approvers are {', '.join(approvers)} "
                    "(REPMON_APPROVERS)"
                )
            if actor == reply.edited_by:
                raise WorkflowError(f"{actor} wrote this draft: another person must approve it")
            reply.status, reply.approved_by, reply.updated_at = "approved", actor, now
            self._append_event(s, now, actor, "approve", item_id, {"text": reply.text})

    def reply(self, item_id: int) -> dict[str, object] | None:
        with self.session() as s:
            r = s.scalar(select(ReplyRow).where(ReplyRow.item_id == item_id))
            return {c.name: getattr(r, c.name) for c in ReplyRow.__table__.columns} if r else None

    def mark_reply_sent(self, item_id: int, platform_reply_id: str | None, now: datetime) -> None:
        with self.session() as s:
            r = s.scalar(select(ReplyRow).where(ReplyRow.item_id == item_id))
            if r is not None:
                r.status, r.platform_reply_id, r.updated_at = "sent", platform_reply_id, now

    def model_version_of(self, item_id: int) -> str | None:
        """The model version of an item's latest classification."""
        with self.session() as s:
            return s.scalar(
                select(ClassificationRow.model_version)
                .join(TriageItemRow, TriageItemRow.mention_id == ClassificationRow.mention_id)
                .where(TriageItemRow.id == item_id)
                .order_by(ClassificationRow.id.desc())
                .limit(1)
            )

    def corrections(self) -> list[tuple[str, str]]:
        """(text, corrected label) for every corrected mention, the latest correction winning."""
        with self.session() as s:
            rows = s.execute(
                select(MentionRow.id, MentionRow.text, CorrectionRow.label)
                .join(CorrectionRow, CorrectionRow.mention_id == MentionRow.id)
                .order_by(CorrectionRow.id)
            ).all()
        latest = {mid: (text, label) for mid, text, label in rows}
        return list(latest.values())

    def record_event(self, item_id: int | None, actor: str, action: str, detail: dict, now: datetime) -> None:
        """Append an event that changes no state (e.g. an evidence export) to the audit chain."""
        with self.session() as s:
            self._append_event(s, now, actor, action, item_id, detail)

    def assign(self, item_id: int, assignee: str, actor: str, now: datetime) -> None:
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                raise WorkflowError(f"no queue item {item_id}: see `repmon queue --all`")
            if item.status in ("closed", "dismissed", "resolved"):
                raise WorkflowError(f"item {item_id} is {item.status}: it cannot be assigned")
            detail = {"from": item.assignee, "to": assignee}
            item.assignee, item.updated_at = assignee, now
            self._append_event(s, now, actor, "assign", item_id, detail, self._item_seals(item))

    def item(self, item_id: int) -> dict[str, object] | None:
        """One queue item with its mention, triage fields and audit trail; None if there is none (also for
        an id no database can hold)."""
        if not 1 <= item_id <= MAX_ITEM_ID:
            return None
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            if item is None:
                return None
            events = s.scalars(
                select(AuditEventRow).where(AuditEventRow.item_id == item_id).order_by(AuditEventRow.id)
            ).all()
            return {
                "item": {c.name: getattr(item, c.name) for c in TriageItemRow.__table__.columns},
                "audit": [
                    {
                        "at": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "detail": dict(e.detail),
                        "hash": e.hash,
                    }
                    for e in events
                ],
            }

    def evidence(self, item_id: int) -> dict[str, object] | None:
        """Everything stored about an item, for the evidence bundle: the post's exact bytes, capture,
        metric history, deletion status, thread, shares and quotes, and the audit trail."""
        found = self.item(item_id)
        if found is None:
            return None
        with self.session() as s:
            item = s.get(TriageItemRow, item_id)
            m = s.get(MentionRow, item.mention_id)
            raw = s.scalar(select(RawPayloadRow).where(RawPayloadRow.mention_id == m.id))
            classification = s.scalar(
                select(ClassificationRow)
                .where(ClassificationRow.mention_id == m.id)
                .order_by(ClassificationRow.id.desc())
                .limit(1)
            )

            def brief(r: MentionRow) -> dict[str, object]:
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

            thread = []
            if m.thread_id:
                q = (
                    select(MentionRow)
                    .where(MentionRow.platform == m.platform, MentionRow.thread_id == m.thread_id)
                    .order_by(MentionRow.created_at)
                )
                thread = [brief(r) for r in s.scalars(q)]
            # Who quoted it, by the index on (platform, quoted_id): every quote repmon has stored.
            q = (
                select(MentionRow)
                .where(MentionRow.platform == m.platform, MentionRow.quoted_id == m.external_id)
                .order_by(MentionRow.created_at, MentionRow.id)
            )
            quotes = [brief(r) for r in s.scalars(q)]
            return {
                "item": found["item"],
                "audit": found["audit"],
                "mention": brief(m)
                | {
                    "source": m.source,
                    "own_page": m.own_page,
                    "is_demo": m.is_demo,
                    "first_seen_at": m.first_seen_at.isoformat(),
                },
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
                    for x in self.snapshots([m.id])[m.id]
                ],
                "thread": thread,
                "shares": [
                    x | {"first_seen_at": x["first_seen_at"].isoformat()}
                    for x in self.shares(m.platform, m.external_id)
                ],
                "quotes": quotes,
                "captures": [
                    c | {"captured_at": c["captured_at"].isoformat()}
                    for c in self.captures(m.platform, m.external_id)
                ],
            }

    def verify(self) -> list[str]:
        """Check everything the audit chain vouches for; the problems found, first broken link first.

        In one linear pass: each event follows the one before it and carries the HMAC of its content
        under the audit key (an unkeyed re-hash is named as such); the chain is at least as long as the
        checkpoint file says and holds the checkpointed head; every sealed row (mentions, payloads,
        metric snapshots, classifications, queue items, corrections, users) is as its latest seal says,
        none is missing and none was added without an event; every stored payload matches its SHA-256
        and states the id and text of the post it is stored for."""
        problems: list[str] = []
        chain: list[str] = []
        key = self.audit_key
        checkpoint = audit.read_checkpoint(self.checkpoint_file) if self.checkpoint_file else None
        latest: dict[str, dict[str, str]] = {kind: {} for kind in audit.SEALED_KINDS}
        with self.session() as s:
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
            if self.key_file is not None and (p := audit.key_problem(self.key_file)):
                problems.append(p)
            problems += self._check_seals(s, latest)
            problems += self._check_payloads(s)
        return problems

    def _check_checkpoint(
        self, checkpoint: audit.Checkpoint | None, events: int, last_seq: int, at_checkpoint: str | None
    ) -> list[str]:
        where = f"audit chain (checkpoint {self.checkpoint_file})"
        if checkpoint is None:
            if events and self.checkpoint_file is not None:
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
            "correction": "its label, reason, actor or time changed after it was recorded",
            "user": "their role differs from the audit trail (changed behind repmon's back)",
        }

        def name(kind: str, key: str, row: dict | None) -> str:
            if kind == "user":
                return f"user {key!r}"
            if kind == "payload":
                return f"raw payload of mention {key}"
            label = {"snapshot": "metric snapshot", "item": "queue item"}.get(kind, kind)
            if kind == "mention" and row is not None:
                return f"mention {key} ({row['platform']}/{row['external_id']})"
            if row is not None and kind in ("snapshot", "classification", "correction"):
                return f"{label} {key} of mention {row['mention_id']}"
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

    # -- dashboard users --------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        role: str,
        password_hash: str,
        now: datetime,
        *,
        replace: bool = False,
        actor: str = ADMIN_ACTOR,
        language: str | None = None,
    ) -> bool:
        """Create a user, or (with ``replace``) set an existing user's role and password; True if new.
        ``language``: their interface language (a new user without one gets Hebrew; an existing user's
        is changed only when given). The name is stored as given: check it first
        (``monitor.actions.add_user`` does)."""
        name = valid_text(name)  # the name as the users table will hold it
        with self.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.name == name))
            if row is not None and not replace:
                raise WorkflowError(f"user {name!r} exists: add --replace to change their role or password")
            created = row is None
            if row is None:
                row = UserRow(name=name, language="he", digest=False, disabled=False, created_at=now)
                s.add(row)
            row.role, row.password_hash, row.disabled = role, password_hash, False
            if language is not None:
                row.language = language
            self._append_event(
                s,
                now,
                actor,
                "user_add" if created else "user_change",
                None,
                {"user": name, "role": role},
                {"user": audit.row_seals("user", [row])},
            )
            return created

    def set_user_disabled(
        self, name: str, disabled: bool, now: datetime, *, actor: str = ADMIN_ACTOR
    ) -> None:
        """Disable a user (they can no longer sign in or act) or enable them again; enabling also lifts
        a sign-in lockout of their name. Audited."""
        with self.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            if row is None:
                raise WorkflowError(f"no user {name!r}: see `repmon user list`")
            row.disabled = disabled
            if not disabled:
                s.execute(
                    SignInFailureRow.__table__.delete().where(
                        SignInFailureRow.kind == "user", SignInFailureRow.key == row.name
                    )
                )
            self._append_event(
                s, now, actor, "user_disable" if disabled else "user_enable", None, {"user": row.name}
            )

    # -- the sign-in throttle ----------------------------------------------------------------------

    @staticmethod
    def _failure_key(kind: str, key: str) -> tuple[str, str]:
        return kind, valid_text(key)[:200]

    def sign_in_failures(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Failures]:
        """The failed sign-ins counted against each (kind, key): ("user", name) or ("address", ip)."""
        out = {}
        with self.session() as s:
            for kind, key in keys:
                kind, key = self._failure_key(kind, key)
                row = s.scalar(
                    select(SignInFailureRow).where(SignInFailureRow.kind == kind, SignInFailureRow.key == key)
                )
                out[(kind, key)] = Failures(row.count, row.last_at, row.locked_until) if row else Failures()
        return out

    def record_sign_in_failure(
        self, keys: Sequence[tuple[str, str]], now: datetime
    ) -> dict[tuple[str, str], Failures]:
        """Count one failed sign-in against each (kind, key), in one transaction (a user name's count
        locks it at ``LOCKOUT_FAILURES``; the lockout is written to the audit chain); the new counts."""
        out = {}
        with self.session() as s:
            for kind, key in keys:
                kind, key = self._failure_key(kind, key)
                # Make sure the row exists, then lock it: two failures at once both count.
                s.execute(
                    self._insert(SignInFailureRow)
                    .values(kind=kind, key=key, count=0)
                    .on_conflict_do_nothing(index_elements=["kind", "key"])
                )
                row = s.scalar(
                    select(SignInFailureRow)
                    .where(SignInFailureRow.kind == kind, SignInFailureRow.key == key)
                    .with_for_update()
                )
                was_locked = row.locked_until is not None and now < row.locked_until
                new = after_failure(
                    Failures(row.count, row.last_at, row.locked_until), now, lockable=kind == "user"
                )
                row.count, row.last_at, row.locked_until = new.count, new.last_at, new.locked_until
                out[(kind, key)] = new
                if new.locked_until is not None and not was_locked:
                    detail = {"user": key, "failures": new.count, "until": new.locked_until.isoformat()}
                    self._append_event(s, now, SIGN_IN_ACTOR, "sign_in_lockout", None, detail)
        return out

    def clear_sign_in_failures(self, keys: Sequence[tuple[str, str]]) -> None:
        """Forget the failed sign-ins counted against each (kind, key) (after a successful sign-in)."""
        with self.session() as s:
            for kind, key in keys:
                kind, key = self._failure_key(kind, key)
                s.execute(
                    SignInFailureRow.__table__.delete().where(
                        SignInFailureRow.kind == kind, SignInFailureRow.key == key
                    )
                )

    def user(self, name: str) -> dict[str, object] | None:
        """A user's row (with the password hash, for checking a login), or None."""
        with self.session() as s:
            r = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            return {c.name: getattr(r, c.name) for c in UserRow.__table__.columns} if r else None

    def users(self) -> list[dict[str, object]]:
        """Every user, without password hashes."""
        with self.session() as s:
            return [
                {c.name: getattr(r, c.name) for c in UserRow.__table__.columns if c.name != "password_hash"}
                for r in s.scalars(select(UserRow).order_by(UserRow.name))
            ]

    def set_digest_prefs(
        self, name: str, email: str | None, language: str, digest: bool, actor: str, now: datetime
    ) -> None:
        """A user's daily-digest address, language and whether they get it; audited."""
        with self.session() as s:
            r = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            if r is None:
                raise WorkflowError(f"no user {name!r}")
            r.email, r.language, r.digest = email, language, digest
            self._append_event(
                s,
                now,
                actor,
                "digest_settings",
                None,
                {"user": name, "email": email, "language": language, "digest": digest},
            )

    def set_user_language(self, name: str, language: str, actor: str, now: datetime) -> None:
        """A user's interface language (the dashboard's and their e-mails'); audited."""
        with self.session() as s:
            r = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            if r is None:
                raise WorkflowError(f"no user {name!r}")
            r.language = language
            self._append_event(s, now, actor, "language_settings", None, {"user": name, "language": language})

    # -- e-mail deliveries -----------------------------------------------------------------------

    def delivery_due(self, kind: str, key: str, recipient: str, now: datetime) -> bool:
        """Record that an e-mail is owed (once) and say whether to try sending it now: not if it was
        sent already, nor while a failed attempt's retry time has not come."""
        with self.session() as s:
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
        with self.session() as s:
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
    ) -> list[dict]:
        """Recent deliveries, newest first (all fields)."""
        with self.session() as s:
            q = select(DeliveryRow).order_by(DeliveryRow.id.desc()).limit(limit)
            if kind:
                q = q.where(DeliveryRow.kind == kind)
            if pending_only:
                q = q.where(DeliveryRow.status != "sent")
            return [{c.name: getattr(r, c.name) for c in DeliveryRow.__table__.columns} for r in s.scalars(q)]

    # -- scheduled jobs ---------------------------------------------------------------------------

    def save_job_state(
        self,
        name: str,
        at: datetime,
        status: str,
        *,
        detail: str | None = None,
        error: str | None = None,
        next_run_at: datetime | None = None,
    ) -> None:
        """Record one run of a scheduled job (``ok`` or ``error``) and when it runs next."""
        with self.session() as s:
            row = s.get(JobStateRow, name)
            if row is None:
                row = JobStateRow(name=name, runs=0, errors=0)
                s.add(row)
            row.last_run_at, row.last_status, row.last_detail = at, status, detail
            row.next_run_at = next_run_at
            row.runs = (row.runs or 0) + 1
            if error is not None:
                row.last_error, row.last_error_at, row.errors = error, at, (row.errors or 0) + 1

    def job_states(self) -> list[dict[str, object]]:
        with self.session() as s:
            return [
                {c.name: getattr(r, c.name) for c in JobStateRow.__table__.columns}
                for r in s.scalars(select(JobStateRow).order_by(JobStateRow.name))
            ]

    # -- bookkeeping ----------------------------------------------------------------------------

    def record_job(
        self, job: str, started_at: datetime, finished_at: datetime, status: str, detail: dict
    ) -> None:
        with self.session() as s:
            s.add(
                JobRunRow(
                    job=job, started_at=started_at, finished_at=finished_at, status=status, detail=detail
                )
            )

    def last_jobs(self, limit: int = 5) -> list[JobRunRow]:
        with self.session() as s:
            return list(s.scalars(select(JobRunRow).order_by(JobRunRow.id.desc()).limit(limit)))

    def counts(self) -> dict[str, int]:
        with self.session() as s:
            count = lambda model: s.scalar(select(func.count()).select_from(model)) or 0  # noqa: E731
            by_status = dict(
                s.execute(select(TriageItemRow.status, func.count()).group_by(TriageItemRow.status)).all()
            )
            return {
                "mentions": count(MentionRow),
                "demo_mentions": s.scalar(select(func.count()).where(MentionRow.is_demo.is_(True))) or 0,
                "snapshots": count(MetricSnapshotRow),
                "classifications": count(ClassificationRow),
                "triage_items": count(TriageItemRow),
                "open_items": sum(v for k, v in by_status.items() if k in OPEN_STATUSES),
            }

    def raw_payload(self, platform: str, external_id: str) -> tuple[bytes, str, datetime] | None:
        with self.session() as s:
            q = (
                select(RawPayloadRow.body, RawPayloadRow.sha256, RawPayloadRow.captured_at)
                .join(MentionRow, MentionRow.id == RawPayloadRow.mention_id)
                .where(MentionRow.platform == platform, MentionRow.external_id == external_id)
            )
            row = s.execute(q).first()
            return (row[0], row[1], row[2]) if row else None


def _redact(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
