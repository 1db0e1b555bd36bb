"""What makes the audit chain tamper-evident: the key it is signed with, the checkpoint of its head, and
the seals it carries of the rows legal relies on.

- **Key.** Each event's hash is an HMAC-SHA256 under a 32-byte key kept in a file outside the database
  (``<data dir>/audit.key`` or ``REPMON_AUDIT_KEY_FILE``, mode 0600), made on first use. Someone who can
  edit the database but not read that file cannot write an event, or rewrite the chain, that verifies.
- **Checkpoint.** After each append the chain's length and head hash are written (atomically) to
  ``<data dir>/audit-head.json``, where a database editor cannot reach; deleting the last events, or
  replacing the chain, leaves the database disagreeing with it.
- **Seals.** An event carries, in its ``seals`` column (covered by its hash), a digest of each row it
  wrote or changed: mentions (with their raw payload's SHA-256), metric snapshots, classifications,
  queue items, corrections, users, and the versions of a post's text edited on the platform with their
  classifications. ``verify`` replays the seals, the latest per row winning, and
  compares them with the rows as they are now.

Everything here but the two file functions is pure.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
import json
import os
import secrets
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import ColumnClause, TableClause

KEY_FILE = "audit.key"
CHECKPOINT_FILE = "audit-head.json"
SEAL_HEX = 32  # 128 bits of SHA-256: a row cannot be changed to keep its seal


def _canonical(value: object) -> bytes:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_iso)
    # surrogatepass: a lone surrogate in a detail (a JSON escape, kept as such) hashes instead of failing.
    return text.encode("utf-8", "surrogatepass")


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def event_fields(
    prev: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    item_id: int | None,
    detail: Mapping,
    seals: Mapping,
) -> bytes:
    """The bytes an event's hash is taken over."""
    return _canonical([prev, seq, at.astimezone(UTC).isoformat(), actor, action, item_id, detail, seals])


def event_hmac(key: bytes, fields: bytes) -> str:
    return hmac.new(key, fields, hashlib.sha256).hexdigest()


def unkeyed_hashes(fields: bytes, legacy: bytes) -> set[str]:
    """What someone without the key would write: SHA-256 of the fields, or of the pre-key format."""
    return {hashlib.sha256(fields).hexdigest(), hashlib.sha256(legacy).hexdigest()}


def legacy_fields(
    prev: str, at: datetime, actor: str, action: str, item_id: int | None, detail: Mapping
) -> bytes:
    """The fields of an event as the chain before schema 0010 hashed them (plain SHA-256, no key)."""
    return _canonical([prev, at.astimezone(UTC).isoformat(), actor, action, item_id, detail])


def seal(*fields: object) -> str:
    """A row's digest: what the chain keeps to notice a later change to that row. Fields are plain
    values (text, numbers, booleans, None); their ``repr`` is the canonical form (fast enough for one
    seal per stored row at ingest). A ``StrEnum`` member (``Status.NEW``) is sealed as its plain string,
    as it is stored and read back."""
    if any(issubclass(kind, Enum) for kind in set(map(type, fields))):  # rare: fields come as stored
        fields = tuple(str.__str__(f) if isinstance(f, str) else f for f in fields)
    return hashlib.sha256(repr(fields).encode("utf-8", "surrogatepass")).hexdigest()[:SEAL_HEX]


def _t(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


# The sealed content of each kind of row; the rest of a row (a queue item's priority, a mention's
# deletion time) changes as repmon works and is not sealed.
def mention_seal(m: Mapping) -> str:
    return seal(
        m["platform"], m["external_id"], m["source"], m["url"], m["author_id"], m["author_handle"],
        m["author_name"], m["author_followers"], m["text"], m["language"], _t(m["created_at"]),
        m["thread_id"], m["parent_id"], bool(m["own_page"]), bool(m["is_demo"]),
        bool(m["from_business"]), _t(m["first_seen_at"]),
    )  # fmt: skip


def snapshot_seal(x: Mapping) -> str:
    return seal(x["mention_id"], _t(x["at"]), x["likes"], x["shares"], x["replies"], x["quotes"], x["views"])


def classification_seal(c: Mapping) -> str:
    scores = tuple(sorted(dict(c["scores"]).items()))
    return seal(c["mention_id"], c["model_version"], c["label"], scores, c["language"])


def edit_seal(e: Mapping) -> str:
    return seal(e["mention_id"], e["capture_id"], e["version_key"], e["text"], _t(e["captured_at"]))


def edit_classification_seal(c: Mapping) -> str:
    scores = tuple(sorted(dict(c["scores"]).items()))
    return seal(c["edit_id"], c["model_version"], c["label"], scores, c["language"])


def item_seal(t: Mapping) -> str:
    return seal(t["mention_id"], t["playbook"], t["status"], t["decision"], t["assignee"], t["label"])


def correction_seal(c: Mapping) -> str:
    # The version corrected (revision 0016) joins the seal only when there is one: a correction of the text
    # as first captured keeps the seal it had before the column existed.
    base = (c["mention_id"], c["label"], c["reason"], c["actor"], _t(c["at"]))
    edit_id = c.get("edit_id")
    return seal(*base) if edit_id is None else seal(*base, edit_id)


def user_seal(u: Mapping) -> str:
    return seal(u["name"], u["role"])


def payload_mismatch(external_id: str, text: str, body: bytes) -> str | None:
    """Why a stored payload is not the post it is stored for (another post's id or text), or None.

    Only what the payload states is compared: the post's ``id`` (X, Facebook, demo) and its text
    (``text`` or ``note_tweet.text`` on X, ``message`` on Facebook). A payload that is not a JSON
    object, or has neither, is not judged here (its SHA-256 is still checked)."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict):
        return None
    pid = obj.get("id")
    if isinstance(pid, (str, int)) and not isinstance(pid, bool):
        pid = str(pid)
        if external_id not in (pid, f"demo-{pid}"):
            return f"it is the payload of post {pid!r}, not of {external_id!r}"
    candidates = [obj.get("text"), obj.get("message")]
    note = obj.get("note_tweet")
    if isinstance(note, dict):
        candidates.append(note.get("text"))
    from monitor.records import valid_text

    texts = {valid_text(c) for c in candidates if isinstance(c, str)}
    texts |= {html.unescape(t) for t in texts}
    if texts and text not in texts:
        return "its text is not the text stored for the post"
    return None


# -- the two files: key and checkpoint -------------------------------------------------------------


def load_or_create_key(path: Path) -> bytes:
    """The audit key in ``path``; a new random one (mode 0600) if the file does not exist yet."""
    try:
        raw = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return _create_key(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the audit key {path} ({exc}): restore it from your backup "
            "(see README: Security) or fix REPMON_AUDIT_KEY_FILE"
        ) from None
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigError(
            f"audit key {path} is not 64 hex digits: restore it from your backup (see README: Security)"
        )
    return key


def _create_key(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(key.hex() + "\n")
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # never replaces a key another process made meanwhile
            except FileExistsError:
                return load_or_create_key(path)
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise StorageError(
            f"cannot create the audit key {path} ({exc.strerror}): make its folder writable or set "
            "REPMON_AUDIT_KEY_FILE"
        ) from None
    return key


def key_problem(path: Path) -> str | None:
    """Whether the key file can be read by others than its owner."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"audit key {path} can be read by others (mode {mode & 0o777:04o}): run chmod 600 {path}"
    return None


@dataclass(frozen=True)
class Checkpoint:
    events: int
    head: str


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The chain's last recorded length and head, or None if no checkpoint was written."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Checkpoint(int(data["events"]), str(data["head"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorageError(
            f"audit checkpoint {path} is unreadable ({exc}): restore it from your backup "
            "(see README: Security)"
        ) from None


_CHECKPOINT_LOCK = threading.Lock()


def write_checkpoint(path: Path, events: int, head: str) -> None:
    """Record the chain's length and head, atomically; an older head never replaces a newer one (in
    this process; across processes a slightly older one may win, which verify accepts)."""
    with _CHECKPOINT_LOCK:
        _write_checkpoint(path, events, head)


def _write_checkpoint(path: Path, events: int, head: str) -> None:
    current = read_checkpoint(path)
    if current is not None and current.events >= events:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-head-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"events": events, "head": head}, f)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- the sealed tables, as the chain sees them (plain columns: the migration uses these too) ----------


@functools.cache
def _sealed_tables() -> dict[str, tuple[TableClause, str, Callable[[Mapping[Any, Any]], str]]]:
    """kind -> (a lightweight table with the sealed columns, key column, seal function)."""
    from sqlalchemy import JSON, Boolean, Integer, String, column, table

    from monitor.storage.models import UTCDateTime

    def t(name: str, *cols: ColumnClause[Any]) -> TableClause:
        return table(name, *cols)

    s, i, b, d = String, Integer, Boolean, UTCDateTime
    return {
        "mention": (
            t("mentions", column("id", i()), column("platform", s()), column("external_id", s()),
              column("source", s()), column("url", s()), column("author_id", s()),
              column("author_handle", s()), column("author_name", s()), column("author_followers", i()),
              column("text", s()), column("language", s()), column("created_at", d()),
              column("thread_id", s()), column("parent_id", s()), column("own_page", b()),
              column("is_demo", b()), column("from_business", b()), column("first_seen_at", d())),
            "id",
            mention_seal,
        ),
        "payload": (
            t("raw_payloads", column("mention_id", i()), column("sha256", s())),
            "mention_id",
            lambda r: r["sha256"],
        ),
        "snapshot": (
            t("metric_snapshots", column("id", i()), column("mention_id", i()), column("at", d()),
              column("likes", i()), column("shares", i()), column("replies", i()), column("quotes", i()),
              column("views", i())),
            "id",
            snapshot_seal,
        ),
        "classification": (
            t("classifications", column("id", i()), column("mention_id", i()), column("model_version", s()),
              column("label", s()), column("scores", JSON()), column("language", s())),
            "id",
            classification_seal,
        ),
        "item": (
            t("triage_items", column("id", i()), column("mention_id", i()), column("playbook", s()),
              column("status", s()), column("decision", s()), column("assignee", s()), column("label", s())),
            "id",
            item_seal,
        ),
        "correction": (
            t("corrections", column("id", i()), column("mention_id", i()), column("label", s()),
              column("reason", s()), column("actor", s()), column("at", d()), column("edit_id", i())),
            "id",
            correction_seal,
        ),
        "user": (t("users", column("name", s()), column("role", s())), "name", user_seal),
        "edit": (
            t("post_edits", column("id", i()), column("mention_id", i()), column("capture_id", i()),
              column("version_key", s()), column("text", s()), column("captured_at", d())),
            "id",
            edit_seal,
        ),
        "edit_classification": (
            t("edit_classifications", column("id", i()), column("edit_id", i()),
              column("model_version", s()), column("label", s()), column("scores", JSON()),
              column("language", s())),
            "id",
            edit_classification_seal,
        ),
    }  # fmt: skip


SEALED_KINDS = (
    "mention", "payload", "snapshot", "classification", "item", "correction", "user", "edit",
    "edit_classification",
)  # fmt: skip


def current_rows(
    conn: Connection | Session, kind: str, batch: int = 2000, columns: Iterable[str] | None = None
) -> Iterator[tuple[str, str, Mapping[Any, Any]]]:
    """(key, seal, row) for every row of a sealed kind, as the database holds it now (streamed).
    ``columns`` reads only those of the sealed columns (a migration reading a table as it was at its
    revision, before later columns existed)."""
    from sqlalchemy import select

    tbl, key, fn = _sealed_tables()[kind]
    wanted = tbl.c if columns is None else [tbl.c[c] for c in columns]
    q = select(*wanted).order_by(tbl.c[key])
    for row in conn.execute(q.execution_options(yield_per=batch)).mappings():
        yield str(row[key]), fn(row), row


def row_seals(kind: str, rows: Iterable[object]) -> dict[str, str]:
    """Seals for rows (mappings or ORM rows) of one kind, keyed as the chain keys them."""
    tbl, key, fn = _sealed_tables()[kind]
    out = {}
    for r in rows:
        m = r if isinstance(r, Mapping) else {c.name: getattr(r, c.name) for c in tbl.c}
        out[str(m[key])] = fn(m)
    return out
