"""edit_of: the first version of a post an X post edits (an edit on X is a new post with a new id), indexed,
so each version of a post finds the others

Existing X posts get it from their stored payload (``edit_history_tweet_ids``: oldest first, the post's
own id last), in batches. The column is derived from the payload, whose SHA-256 the audit chain seals; it
is not sealed itself (as ``quoted_id``, revision 0011).

Revision ID: 0015
Revises: 0014
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BATCH = 2000

mentions = sa.table(
    "mentions",
    sa.column("id", sa.Integer),
    sa.column("platform", sa.String),
    sa.column("external_id", sa.String),
    sa.column("edit_of", sa.String),
)
payloads = sa.table("raw_payloads", sa.column("mention_id", sa.Integer), sa.column("body", sa.LargeBinary))


def _post_id(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 30


def edit_of_in(external_id: str, body: bytes) -> str | None:
    """The first version a stored X payload's post edits, if its edit history names an earlier one (and
    is readable JSON: a list of post ids)."""
    if b'"edit_history_tweet_ids"' not in body:
        return None
    try:
        history = json.loads(body).get("edit_history_tweet_ids")
    except (ValueError, AttributeError):
        return None
    if not isinstance(history, list) or len(history) < 2 or not all(_post_id(h) for h in history):
        return None
    return history[0] if history[0] != external_id else None


def upgrade() -> None:
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edit_of", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_mentions_platform_edit_of", ["platform", "edit_of"], unique=False)
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(mentions.c.id, mentions.c.external_id, payloads.c.body)
            .join(payloads, payloads.c.mention_id == mentions.c.id)
            .where(mentions.c.platform == "x", mentions.c.id > last)
            .order_by(mentions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        found = [{"mid": mid, "first": f} for mid, tid, body in rows if (f := edit_of_in(tid, bytes(body)))]
        if found:
            conn.execute(
                mentions.update()
                .where(mentions.c.id == sa.bindparam("mid"))
                .values(edit_of=sa.bindparam("first")),
                found,
            )


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35 and later drop a column in place): a batch "move and copy" of
    # mentions would break the foreign keys that point at it.
    op.drop_index("ix_mentions_platform_edit_of", table_name="mentions")
    op.drop_column("mentions", "edit_of")
