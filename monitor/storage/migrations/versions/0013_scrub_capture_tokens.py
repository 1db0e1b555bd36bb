"""scrub_capture_tokens: a token Graph echoed into a later capture is replaced, as in a first capture

Before this revision the refresh of open Facebook items stored each object as received, and Graph puts the
caller's Page token into the ``paging.next`` link of an embedded edge (a post's first comments). The first
capture of a post was always scrubbed (``monitor.redact.scrub_bytes``); later captures now are too, and
this revision scrubs the ones already stored: the body loses the token, its SHA-256 is computed again, and
a capture that then equals another of the same post (two reads that differed only in the token) is
removed. There is no way down to the token, by design: the downgrade leaves the rows as they are.

Revision ID: 0013
Revises: 0012
"""

import hashlib

import sqlalchemy as sa
from alembic import op

from monitor.redact import scrub_bytes

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 500
captures = sa.table(
    "captures",
    sa.column("id", sa.Integer),
    sa.column("mention_id", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("body", sa.LargeBinary),
)


def upgrade() -> None:
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(captures.c.id, captures.c.mention_id, captures.c.body)
            .where(captures.c.id > last)
            .order_by(captures.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        for row in rows:
            body = scrub_bytes(bytes(row.body))
            if body == bytes(row.body):
                continue
            sha = hashlib.sha256(body).hexdigest()
            twin = conn.execute(
                sa.select(captures.c.id).where(
                    captures.c.mention_id == row.mention_id, captures.c.sha256 == sha, captures.c.id != row.id
                )
            ).first()
            if twin is not None:
                conn.execute(sa.delete(captures).where(captures.c.id == row.id))
            else:
                conn.execute(sa.update(captures).where(captures.c.id == row.id).values(body=body, sha256=sha))


def downgrade() -> None:
    pass  # a removed token is not put back
