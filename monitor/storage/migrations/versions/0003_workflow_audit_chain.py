"""workflow: legal decision on items; audit events chained by hash

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_audit_events_item_id"), ["item_id"], unique=False)
    with op.batch_alter_table("triage_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision", sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("triage_items", schema=None) as batch_op:
        batch_op.drop_column("decision")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_item_id"))
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
