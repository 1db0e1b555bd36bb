"""correction_version: a correction records the version of the post's text the item showed

``corrections.edit_id`` names the edit made on the platform (``post_edits``) the item followed when a person
corrected its label; None for the text as first captured, which every correction stored before this
revision was made on, or was paired with (``repmon train --with-corrections`` read the first text). The
column joins the correction's seal only when set, so the seals already in the audit chain stay valid.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain column (no foreign key): SQLite adds it in place instead of rebuilding the table.
    op.add_column("corrections", sa.Column("edit_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35 and later drop a column in place), as 0015.
    op.drop_column("corrections", "edit_id")
