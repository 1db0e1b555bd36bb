"""The database under the store: the engine, one transaction per session, the schema's migrations, the
audit chain's key and checkpoint files, and the driver's errors translated into the tree of
``monitor/errors.py``. SQLite (WAL) by default, any SQLAlchemy URL otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.errors import (
    MonitorError,
    StorageBusy,
    StorageCorrupt,
    StorageError,
    StorageFull,
    StorageReadOnly,
)
from monitor.redact import hide_url_password
from monitor.storage import audit
from monitor.storage.models import Base

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)
R = TypeVar("R", bound="DataclassInstance")

MIGRATIONS = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock that serializes appends to the audit chain (a 64-bit key of its own).
AUDIT_CHAIN_LOCK = int.from_bytes(hashlib.sha256(b"repmon-audit-chain").digest()[:8], "big", signed=True)


def to_record(cls: type[R], row: object, **values: object) -> R:
    """A record of ``cls`` (a dataclass) from an ORM row's attributes of the same names (``values``
    given instead), read while the row's session is open."""
    names = [f.name for f in fields(cls)]
    return cls(**{n: values[n] if n in values else getattr(row, n) for n in names})


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


class Database:
    """The engine and its sessions; every repository of the store works through one."""

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
                f"cannot use database URL {hide_url_password(url)!r}: {exc}: check REPMON_DATABASE_URL"
            ) from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

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
            self.write_checkpoint(*head)
        return revision

    def _migration_lock(self) -> AbstractContextManager[None]:
        """On a SQLite file, a lock file beside it held while migrating, so that concurrent migrations
        run one after the other (PostgreSQL uses an advisory lock instead)."""
        from filelock import FileLock, Timeout

        if not self.url.startswith("sqlite:///") or self.url.startswith("sqlite:///:memory:"):
            return contextlib.nullcontext()
        lock = FileLock(self.url.removeprefix("sqlite:///") + ".migrate-lock", timeout=120)

        @contextlib.contextmanager
        def held() -> Iterator[None]:
            try:
                lock.acquire()
            except Timeout:
                shown = hide_url_password(self.url)
                raise StorageError(
                    f"database {shown}: another repmon has been migrating it for 2 minutes "
                    f"({lock.lock_file}): wait for it, or stop it and run `repmon init` again"
                ) from None
            try:
                yield
            finally:
                lock.release()

        return held()

    def schema_revision(self, conn: Connection | None = None) -> str:
        """The database's Alembic revision ("none" before the first migration)."""
        from alembic.runtime.migration import MigrationContext

        def read(c: Connection) -> str:
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
        url = hide_url_password(self.url)
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
            self.write_checkpoint(*head)

    def write_checkpoint(self, events: int, head: str) -> None:
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

    def insert(self, model: type[Base]) -> Any:  # SQLite's or PostgreSQL's Insert
        """A Core INSERT with the dialect's ON CONFLICT (not the ORM bulk path, which is several times
        slower here)."""
        table = cast(Table, model.__table__)  # the Table itself: an ORM entity would take the bulk path
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return sqlite.insert(table)
        if dialect == "postgresql":
            return postgresql.insert(table)
        raise StorageError(f"database dialect {dialect!r} is not supported: use SQLite or PostgreSQL")
