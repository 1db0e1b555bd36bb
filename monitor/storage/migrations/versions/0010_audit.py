"""audit: the chain is keyed (HMAC-SHA256 under a key outside the database), numbered, and seals the
rows legal relies on

Existing events are re-signed once under the key, in their order, after their old (unkeyed) chain is
checked; one event says so and how many of the old links were already broken, and further events seal
every existing mention, payload, metric snapshot, classification, queue item, correction and user as
they are at the upgrade. A downgrade keeps the re-signed hashes: the older code then cannot verify them.

Revision ID: 0010
Revises: 0009
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from monitor.errors import StorageError
from monitor.storage import audit
from monitor.storage.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SEALS_PER_EVENT = 5000
# The kinds of row sealed at this revision (``audit.SEALED_KINDS`` grew later, with tables 0010 has not).
KINDS = ("mention", "payload", "snapshot", "classification", "item", "correction", "user")
# Sealed columns later revisions added, left out here: the tables as they were at this revision.
COLUMNS = {"correction": ("id", "mention_id", "label", "reason", "actor", "at")}

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("at", UTCDateTime),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("item_id", sa.Integer),
    sa.column("detail", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("seals", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("seals", sa.JSON(), nullable=False, server_default="{}"))
    conn = op.get_bind()
    old = conn.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    sealed = {kind: list(audit.current_rows(conn, kind, columns=COLUMNS.get(kind))) for kind in KINDS}
    if not old and not any(sealed.values()):
        return  # a new database: nothing to re-sign
    store = op.get_context().config.attributes.get("store")
    if store is None:
        raise StorageError(
            "schema 0010 re-signs the audit chain under the audit key: upgrade with `repmon init`, "
            "not the alembic command"
        )
    key = store.audit_key
    now = datetime.now(UTC)

    broken, prev = 0, ""
    for e in old:
        legacy = audit.legacy_fields(
            e["prev_hash"], e["at"], e["actor"], e["action"], e["item_id"], e["detail"]
        )
        if e["prev_hash"] != prev or e["hash"] not in audit.unkeyed_hashes(legacy, legacy):
            broken += 1
        prev = e["hash"]

    head, seq = "", 0

    def sign(e: dict) -> str:
        return audit.event_hmac(
            key,
            audit.event_fields(
                head, seq, e["at"], e["actor"], e["action"], e["item_id"], e["detail"], e["seals"]
            ),
        )

    for e in old:
        seq += 1
        values = dict(e) | {"seals": {}}
        new_hash = sign(values)
        conn.execute(
            sa.update(events)
            .where(events.c.id == e["id"])
            .values(seq=seq, prev_hash=head, hash=new_hash, seals={})
        )
        head = new_hash

    def append(action: str, detail: dict, seals: dict) -> None:
        nonlocal head, seq
        seq += 1
        values = {"at": now, "actor": "repmon", "action": action, "item_id": None, "detail": detail}
        values["seals"] = seals
        new_hash = sign(values)
        conn.execute(sa.insert(events).values(**values, prev_hash=head, hash=new_hash, seq=seq))
        head = new_hash

    append(
        "audit_rechain",
        {
            "events": len(old),
            "old_links_broken": broken,
            "why": "schema 0010: the audit chain is signed with HMAC-SHA256 under the audit key from now "
            "on; the events before it were re-signed in their order",
        },
        {},
    )
    for kind, rows in sealed.items():
        for i in range(0, len(rows), SEALS_PER_EVENT):
            chunk = rows[i : i + SEALS_PER_EVENT]
            append("seal_existing", {"kind": kind, "rows": len(chunk)}, {kind: {k: d for k, d, _ in chunk}})
    op.get_context().config.attributes["audit_head"] = (seq, head)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("seals")
        batch_op.drop_column("seq")
