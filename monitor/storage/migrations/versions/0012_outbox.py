"""outbox: replies queued by the dashboard or the CLI, posted by the running monitor

One row per reply to post: the item, the platform and the post it answers, the reply as approved, who
queued it and when, its status (queued, posting, posted, failed), attempts, the last error, and the
platform's id of the posted reply. A partial unique index keeps one queued or posting row per item.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'posting')")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("in_reply_to", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("queued_by", sa.String(length=100), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("platform_reply_id", sa.String(length=200), nullable=True),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["triage_items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_item_id", "outbox", ["item_id"], unique=False)
    op.create_index("ix_outbox_status", "outbox", ["status"], unique=False)
    op.create_index(
        "uq_outbox_active_item",
        "outbox",
        ["item_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_outbox_active_item", table_name="outbox")
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_index("ix_outbox_item_id", table_name="outbox")
    op.drop_table("outbox")
