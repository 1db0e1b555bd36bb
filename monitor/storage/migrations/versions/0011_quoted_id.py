"""quoted_id: the post an X post quotes, indexed, so evidence finds every quote without scanning payloads

Existing X posts get it from their stored payload (``referenced_tweets`` of type ``quoted``), in batches.
The column is derived from the payload, whose SHA-256 the audit chain seals; it is not sealed itself.

Revision ID: 0011
Revises: 0010
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 2000

mentions = sa.table(
    "mentions",
    sa.column("id", sa.Integer),
    sa.column("platform", sa.String),
    sa.column("quoted_id", sa.String),
)
payloads = sa.table("raw_payloads", sa.column("mention_id", sa.Integer), sa.column("body", sa.LargeBinary))


def quoted_in(body: bytes) -> str | None:
    """The id of the post a stored X payload quotes, if it quotes one (and is readable JSON)."""
    if b'"quoted"' not in body:
        return None
    try:
        refs = json.loads(body).get("referenced_tweets") or []
    except (ValueError, AttributeError):
        return None
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("type") == "quoted" and isinstance(ref.get("id"), str):
            return ref["id"][:200]
    return None


def upgrade() -> None:
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quoted_id", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_mentions_platform_quoted_id", ["platform", "quoted_id"], unique=False)
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(mentions.c.id, payloads.c.body)
            .join(payloads, payloads.c.mention_id == mentions.c.id)
            .where(mentions.c.platform == "x", mentions.c.id > last)
            .order_by(mentions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        found = [{"mid": mid, "quoted": q} for mid, body in rows if (q := quoted_in(bytes(body)))]
        if found:
            conn.execute(
                mentions.update()
                .where(mentions.c.id == sa.bindparam("mid"))
                .values(quoted_id=sa.bindparam("quoted")),
                found,
            )


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35 and later drop a column in place): a batch "move and copy" of
    # mentions would break the foreign keys that point at it.
    op.drop_index("ix_mentions_platform_quoted_id", table_name="mentions")
    op.drop_column("mentions", "quoted_id")
