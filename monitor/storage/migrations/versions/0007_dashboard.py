"""dashboard: users, queue filter columns and order index, poll-now requests

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("triage_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("is_open", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_index("ix_triage_items_open_queue", ["is_open", "priority"], unique=False)
        batch_op.create_index("ix_triage_items_label", ["label"], unique=False)
        batch_op.create_index("ix_triage_items_assignee", ["assignee"], unique=False)
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("poll_requested_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("poll_requested_by", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE triage_items SET is_open = (status IN "
        "('new', 'in_progress', 'awaiting_approval', 'responded', 'escalated', 'legal_review', 'decided'))"
    )
    # Items triaged before this revision: their label and language from the latest classification.
    op.execute(
        """
        UPDATE triage_items SET
          label = (SELECT c.label FROM classifications c WHERE c.mention_id = triage_items.mention_id
                   ORDER BY c.id DESC LIMIT 1),
          language = (SELECT c.language FROM classifications c WHERE c.mention_id = triage_items.mention_id
                      ORDER BY c.id DESC LIMIT 1)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("poll_requested_by")
        batch_op.drop_column("poll_requested_at")
    with op.batch_alter_table("triage_items", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_items_open_queue")
        batch_op.drop_index("ix_triage_items_assignee")
        batch_op.drop_index("ix_triage_items_label")
        batch_op.drop_column("is_open")
        batch_op.drop_column("language")
        batch_op.drop_column("label")
    op.drop_table("users")
