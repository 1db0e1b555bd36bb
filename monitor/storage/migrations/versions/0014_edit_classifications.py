"""edit_classifications: edits made on the platform are classified, and triage follows the most serious
version

- ``captures.edit_read``: whether the monitor has read the capture for an edit of the post's text. Every
  capture stored before this revision starts unread, so the first pass after the upgrade reads them all
  once (nothing is computed here: the pass does it, sealing what it finds, as it does for new captures).
- ``post_edits``: each version of a post's text edited on the platform, once per version (the SHA-256 of
  its words), with the capture it was read from.
- ``edit_classifications``: the classifier's prediction for each edited version, once per model version.
- ``triage_items.edit_id``: the version the item was last triaged on (None: the text as first captured).

Revision ID: 0014
Revises: 0013
"""

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UNREAD = sa.column("edit_read") == sa.false()


def upgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edit_read", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(
            "ix_captures_edit_unread", ["id"], unique=False, sqlite_where=UNREAD, postgresql_where=UNREAD
        )
    op.create_table(
        "post_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("version_key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["capture_id"], ["captures.id"]),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mention_id", "version_key", name="uq_post_edits_mention_version"),
    )
    op.create_index("ix_post_edits_mention_id", "post_edits", ["mention_id"], unique=False)
    op.create_table(
        "edit_classifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edit_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["edit_id"], ["post_edits.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("edit_id", "model_version", name="uq_edit_classifications_edit_model"),
    )
    op.create_index("ix_edit_classifications_edit_id", "edit_classifications", ["edit_id"], unique=False)
    # A plain column (no foreign key): SQLite adds it in place instead of rebuilding the queue's table.
    op.add_column("triage_items", sa.Column("edit_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
        # In place, as it was added: a rebuild of the queue's table fails while audit events point at it.
        op.drop_column("triage_items", "edit_id")
    else:
        with op.batch_alter_table("triage_items", schema=None) as batch_op:
            batch_op.drop_column("edit_id")
    op.drop_index("ix_edit_classifications_edit_id", table_name="edit_classifications")
    op.drop_table("edit_classifications")
    op.drop_index("ix_post_edits_mention_id", table_name="post_edits")
    op.drop_table("post_edits")
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_index("ix_captures_edit_unread")
        batch_op.drop_column("edit_read")
