"""Edits made on the platform: the versions of a post's text that later captures hold, and the
classifier's predictions for them (sealed in the audit chain, as the first text's are).

How it is stored, and why:

- ``post_edits`` holds each edited version once per post: the text a later capture holds when it is not
  the first capture's (white space aside, ``monitor.edits``), named by ``version_key`` (the SHA-256 of
  its words), with the capture it was read from. A pass reads each capture once (``captures.edit_read``),
  so the many re-reads of an open item's counters are parsed once, not at every pass.
- ``edit_classifications`` holds the predictions for those versions, once per (version, model version),
  beside ``classifications`` rather than in it: ``classifications`` keeps its one meaning, the prediction
  for the mention's stored text (``mentions.text``), which the queue, the evidence bundle, corrections
  and retraining read without knowing of edits. A new model version classifies the edits again, as it
  classifies the first texts again.
- Both are sealed by the event that wrote them (kinds ``edit`` and ``edit_classification`` in
  ``audit.py``), so ``repmon verify`` notices an edited text or label changed behind repmon's back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, RowMapping, Select, select, update
from sqlalchemy.orm import Session

from classifiers import Prediction
from monitor.records import PostEdit
from monitor.storage import audit
from monitor.storage.chain import AuditChain
from monitor.storage.classifications import claim_unclassified
from monitor.storage.database import Database
from monitor.storage.ingest import KEY_BATCH
from monitor.storage.models import (
    UNREAD_CAPTURE,
    CaptureRow,
    EditClassificationRow,
    MentionRow,
    PostEditRow,
    RawPayloadRow,
)
from monitor.stored import EditVerdict

if TYPE_CHECKING:
    from monitor.edits import Edit

# What a capture's bytes say of an edit: (platform, first payload, stored text, capture bytes) -> the
# edit, or None (``monitor.edits.read_edit``: the rule is the caller's, storage holds none).
ReadEdit = Callable[[str, bytes | None, str, bytes], "Edit | None"]


def _unclassified_edits(model_version: str, limit: int) -> Select[int, str]:
    """(id, text) of up to ``limit`` edited versions this model version has not classified, oldest first."""
    done = select(EditClassificationRow.edit_id).where(EditClassificationRow.model_version == model_version)
    return (
        select(PostEditRow.id, PostEditRow.text)
        .where(PostEditRow.id.not_in(done))
        .order_by(PostEditRow.id)
        .limit(limit)
    )


class Edits:
    """Edited versions of posts and their classifications."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def read_captures(self, read_edit: ReadEdit, limit: int, now: datetime) -> int:
        """Read up to ``limit`` captures not read yet (oldest first) for an edit, in one transaction: each
        version not stored yet is stored and sealed, and the captures are marked read. Returns how many
        captures were read (0: none was left). Bytes that hold no text are read and hold no edit.

        On PostgreSQL the captures are locked with ``FOR UPDATE SKIP LOCKED`` (workers read disjoint
        batches); on SQLite a version two processes find at once is stored once."""
        with self.db.session() as s:
            q = (
                select(CaptureRow.id, CaptureRow.mention_id, CaptureRow.captured_at, CaptureRow.body)
                .where(UNREAD_CAPTURE)
                .order_by(CaptureRow.id)
                .limit(limit)
            )
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            captures = s.execute(q).all()
            if not captures:
                return 0
            posts = self._first_texts(s, sorted({c.mention_id for c in captures}))
            versions: dict[tuple[int, str], dict[str, object]] = {}
            for c in captures:
                platform, raw, text = posts[c.mention_id]
                edit = read_edit(platform, raw, text, bytes(c.body))
                if edit is not None and (c.mention_id, edit.key) not in versions:
                    versions[(c.mention_id, edit.key)] = {
                        "mention_id": c.mention_id,
                        "capture_id": c.id,
                        "version_key": edit.key,
                        "text": edit.text,
                        "captured_at": c.captured_at,
                    }
            if versions:
                stmt = (
                    self.db.insert(PostEditRow)
                    .on_conflict_do_nothing(index_elements=["mention_id", "version_key"])
                    .returning(*PostEditRow.__table__.c)
                )
                stored = s.execute(stmt, list(versions.values())).mappings().all()
                if stored:
                    seals = {"edit": audit.row_seals("edit", stored)}
                    self.chain.append(s, now, "repmon", "read_edits", None, {"edits": len(stored)}, seals)
            ids = [c.id for c in captures]
            for i in range(0, len(ids), KEY_BATCH):
                s.execute(
                    update(CaptureRow).where(CaptureRow.id.in_(ids[i : i + KEY_BATCH])).values(edit_read=True)
                )
            return len(captures)

    @staticmethod
    def _first_texts(s: Session, mention_ids: Sequence[int]) -> dict[int, tuple[str, bytes | None, str]]:
        """Each mention's platform, first payload (None if none is stored) and stored text."""
        out: dict[int, tuple[str, bytes | None, str]] = {}
        for i in range(0, len(mention_ids), KEY_BATCH):
            q = (
                select(MentionRow.id, MentionRow.platform, RawPayloadRow.body, MentionRow.text)
                .outerjoin(RawPayloadRow, RawPayloadRow.mention_id == MentionRow.id)
                .where(MentionRow.id.in_(mention_ids[i : i + KEY_BATCH]))
            )
            for mid, platform, raw, text in s.execute(q):
                out[mid] = (platform, bytes(raw) if raw is not None else None, text)
        return out

    # -- classifying them ---------------------------------------------------------------------------

    def unclassified_edits(self, model_version: str, limit: int) -> list[tuple[int, str]]:
        """Edited versions with no classification by this model version yet, oldest first: (id, text)."""
        with self.db.session() as s:
            return [(i, t) for i, t in s.execute(_unclassified_edits(model_version, limit))]

    def save_edit_classifications(self, rows: Sequence[tuple[int, Prediction]], now: datetime) -> int:
        """Store predictions for edited versions (by id); a repeat is ignored."""
        if not rows:
            return 0
        with self.db.session() as s:
            self._store(s, rows, now)
        return len(rows)

    def classify_claimed_edits(
        self,
        model_version: str,
        limit: int,
        predict: Callable[[list[str]], Sequence[Prediction]],
        now: datetime,
    ) -> list[int]:
        """Claim up to ``limit`` unclassified edited versions, classify and store them in one transaction
        (as ``Classifications.classify_claimed`` does mentions); returns the ids of the mentions whose
        edits this call classified, each once."""
        with self.db.session() as s:
            done = EditClassificationRow.model_version == model_version
            claimed = claim_unclassified(
                s,
                _unclassified_edits(model_version, limit),
                PostEditRow,
                lambda ids: select(EditClassificationRow.edit_id).where(
                    done, EditClassificationRow.edit_id.in_(ids)
                ),
                predict,
            )
            stored = self._store(s, claimed, now)
            if not stored:
                return []
            edit_ids = [r["edit_id"] for r in stored]
            mids = s.scalars(select(PostEditRow.mention_id).where(PostEditRow.id.in_(edit_ids)))
            return sorted(set(mids))

    def _store(
        self, s: Session, rows: Sequence[tuple[int, Prediction]], now: datetime
    ) -> Sequence[RowMapping]:
        """Insert the predictions, and seal those stored in one event; the rows stored."""
        if not rows:
            return []
        values = [
            {"edit_id": eid, "model_version": p.model_version, "label": p.label, "scores": p.scores,
             "language": p.language, "created_at": now}
            for eid, p in rows
        ]  # fmt: skip
        stmt = (
            self.db.insert(EditClassificationRow)
            .on_conflict_do_nothing(index_elements=["edit_id", "model_version"])
            .returning(*EditClassificationRow.__table__.c)
        )
        stored = s.execute(stmt, values).mappings().all()
        if stored:
            versions = sorted({r["model_version"] for r in stored})
            detail = {"model_version": ", ".join(versions), "edit_classifications": len(stored)}
            seals = {"edit_classification": audit.row_seals("edit_classification", stored)}
            self.chain.append(s, now, "repmon", "classify_edits", None, detail, seals)
        return stored

    # -- reading them -------------------------------------------------------------------------------

    @staticmethod
    def verdicts(s: Session, model_version: str, mention_ids: Sequence[int]) -> dict[int, list[EditVerdict]]:
        """Each mention's edited versions classified by ``model_version``, oldest first."""
        out: dict[int, list[EditVerdict]] = {}
        for i in range(0, len(mention_ids), KEY_BATCH):
            q = (
                select(PostEditRow.mention_id, EditClassificationRow)
                .join(EditClassificationRow, EditClassificationRow.edit_id == PostEditRow.id)
                .where(
                    PostEditRow.mention_id.in_(mention_ids[i : i + KEY_BATCH]),
                    EditClassificationRow.model_version == model_version,
                )
                .order_by(PostEditRow.mention_id, PostEditRow.captured_at, PostEditRow.id)
            )
            for mid, c in s.execute(q):
                out.setdefault(mid, []).append(EditVerdict(c.edit_id, c.label, dict(c.scores), c.language))
        return out

    @staticmethod
    def by_id(s: Session, edit_ids: Sequence[int]) -> dict[int, PostEdit]:
        """Edited versions by id, each with its latest classification."""
        out: dict[int, PostEdit] = {}
        keys = sorted(set(edit_ids))
        for i in range(0, len(keys), KEY_BATCH):
            out.update(_with_labels(s, PostEditRow.id.in_(keys[i : i + KEY_BATCH])))
        return out

    def edits(self, platform: str, external_id: str) -> list[PostEdit]:
        """A post's edited versions, in the order they were captured, each with its latest
        classification (``label`` None: not classified yet)."""
        with self.db.session() as s:
            mid = s.scalar(
                select(MentionRow.id).where(
                    MentionRow.platform == platform, MentionRow.external_id == external_id
                )
            )
            found = _with_labels(s, PostEditRow.mention_id == mid) if mid is not None else {}
        return sorted(found.values(), key=lambda e: (e.captured_at, e.id))


def _with_labels(s: Session, where: ColumnElement[bool]) -> dict[int, PostEdit]:
    """The edited versions ``where`` selects, by id, each with its latest classification."""
    rows = s.scalars(select(PostEditRow).where(where)).all()
    latest: dict[int, EditClassificationRow] = {}
    if rows:
        q = (
            select(EditClassificationRow)
            .where(EditClassificationRow.edit_id.in_([r.id for r in rows]))
            .order_by(EditClassificationRow.id)
        )
        latest = {c.edit_id: c for c in s.scalars(q)}
    out = {}
    for r in rows:
        c = latest.get(r.id)
        out[r.id] = PostEdit(
            id=r.id,
            captured_at=r.captured_at,
            text=r.text,
            version_key=r.version_key,
            label=c.label if c else None,
            scores=dict(c.scores) if c else {},
            language=c.language if c else None,
            model_version=c.model_version if c else None,
        )
    return out
