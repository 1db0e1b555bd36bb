"""Classifications: which mentions still need the classifier, its stored predictions (sealed in the
audit chain), and the labels people corrected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import RowMapping, Select, func, select
from sqlalchemy.orm import Session

from classifiers import Prediction
from monitor.storage import audit
from monitor.storage.chain import AuditChain
from monitor.storage.database import Database
from monitor.storage.ingest import KEY_BATCH
from monitor.storage.models import (
    Base,
    ClassificationRow,
    CorrectionRow,
    MentionRow,
    PostEditRow,
    TriageItemRow,
)


def corrected_labels(s: Session, mention_ids: Sequence[int]) -> dict[int, str]:
    """The latest correction's label for each mention that has one."""
    out: dict[int, str] = {}
    for i in range(0, len(mention_ids), KEY_BATCH):
        q = (
            select(CorrectionRow.mention_id, CorrectionRow.label)
            .where(CorrectionRow.mention_id.in_(mention_ids[i : i + KEY_BATCH]))
            .order_by(CorrectionRow.id)
        )
        out.update({mid: label for mid, label in s.execute(q).all()})
    return out


def _unclassified_query(model_version: str, limit: int) -> Select[int, str]:
    """(id, text) of up to ``limit`` mentions this model version has not classified yet, oldest first."""
    done = select(ClassificationRow.mention_id).where(ClassificationRow.model_version == model_version)
    return (
        select(MentionRow.id, MentionRow.text)
        .where(MentionRow.id.not_in(done))
        .order_by(MentionRow.id)
        .limit(limit)
    )


def claim_unclassified(
    s: Session,
    pending: Select[int, str],
    lock_of: type[Base],
    finished: Callable[[list[int]], Select[int]],
    predict: Callable[[list[str]], Sequence[Prediction]],
) -> list[tuple[int, Prediction]]:
    """Claim the (id, text) rows ``pending`` selects and predict their texts, in the session's transaction:
    the caller stores the predictions in it. On PostgreSQL the rows of ``lock_of`` are locked with
    ``FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint batches; ``finished(ids)`` selects
    those of ``ids`` another worker classified meanwhile, which are left out. Empty when nothing is left."""
    q = pending
    if s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True, of=lock_of)
    while True:
        claimed = s.execute(q).all()
        if not claimed:
            return []
        # A row another worker finished between our snapshot and our lock is locked but done: its
        # classification is in a table the lock does not re-check. A fresh statement sees it; if the
        # whole batch was done meanwhile, claim again (those rows stay locked, so are skipped).
        done = set(s.scalars(finished([key for key, _ in claimed])))
        rows = [(key, text) for key, text in claimed if key not in done]
        if rows:
            break
    preds = predict([text for _, text in rows])
    return [(key, p) for (key, _), p in zip(rows, preds, strict=True)]


class Classifications:
    """The classifier's stored work."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def unclassified(self, model_version: str, limit: int) -> list[tuple[int, str]]:
        """Mentions with no classification by this model version yet, oldest first."""
        with self.db.session() as s:
            return [(i, t) for i, t in s.execute(_unclassified_query(model_version, limit))]

    def save_classifications(self, rows: Sequence[tuple[int, Prediction]], now: datetime) -> int:
        """Store predictions (``classifiers.Prediction``) for mention ids; a repeat is ignored."""
        if not rows:
            return 0
        values = [
            {
                "mention_id": mid,
                "model_version": p.model_version,
                "label": p.label,
                "scores": p.scores,
                "language": p.language,
                "created_at": now,
            }
            for mid, p in rows
        ]
        with self.db.session() as s:
            stmt = (
                self.db.insert(ClassificationRow)
                .on_conflict_do_nothing(index_elements=["mention_id", "model_version"])
                .returning(*ClassificationRow.__table__.c)
            )
            self._seal_classifications(s, s.execute(stmt, values).mappings().all(), now)
        return len(values)

    def _seal_classifications(self, s: Session, stored: Sequence[RowMapping], now: datetime) -> None:
        """One event seals a batch of stored predictions (their labels and scores)."""
        if stored:
            versions = sorted({r["model_version"] for r in stored})
            detail = {"model_version": ", ".join(versions), "classifications": len(stored)}
            seals = {"classification": audit.row_seals("classification", stored)}
            self.chain.append(s, now, "repmon", "classify", None, detail, seals)

    def classify_claimed(
        self,
        model_version: str,
        limit: int,
        predict: Callable[[list[str]], Sequence[Prediction]],
        now: datetime,
    ) -> list[int]:
        """Claim up to ``limit`` unclassified mentions, classify them and store the predictions, in one
        transaction; returns the ids this call classified (each mention is classified by one caller).

        On PostgreSQL the claimed rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent workers
        (any number, on any machines) take disjoint batches and none waits for another. On SQLite the
        insert ignores a mention another process classified meanwhile, and only the rows this call
        inserted are returned.
        """
        with self.db.session() as s:
            done = ClassificationRow.model_version == model_version
            claimed = claim_unclassified(
                s,
                _unclassified_query(model_version, limit),
                MentionRow,
                lambda ids: select(ClassificationRow.mention_id).where(
                    done, ClassificationRow.mention_id.in_(ids)
                ),
                predict,
            )
            values = [
                {"mention_id": mid, "model_version": p.model_version, "label": p.label, "scores": p.scores,
                 "language": p.language, "created_at": now}
                for mid, p in claimed
            ]  # fmt: skip
            if not values:
                return []
            stmt = (
                self.db.insert(ClassificationRow)
                .on_conflict_do_nothing(index_elements=["mention_id", "model_version"])
                .returning(*ClassificationRow.__table__.c)
            )
            stored = s.execute(stmt, values).mappings().all()
            self._seal_classifications(s, stored, now)
            return [r["mention_id"] for r in stored]

    # -- triage ---------------------------------------------------------------------------------

    def model_version_of(self, item_id: int) -> str | None:
        """The model version of an item's latest classification."""
        with self.db.session() as s:
            return s.scalar(
                select(ClassificationRow.model_version)
                .join(TriageItemRow, TriageItemRow.mention_id == ClassificationRow.mention_id)
                .where(TriageItemRow.id == item_id)
                .order_by(ClassificationRow.id.desc())
                .limit(1)
            )

    def corrections(self) -> list[tuple[str, str]]:
        """(text, corrected label) for every corrected mention, the latest correction winning; the text is
        the version the item showed when it was corrected (an edit made on the platform, else the text as
        first captured)."""
        with self.db.session() as s:
            rows = s.execute(
                select(MentionRow.id, func.coalesce(PostEditRow.text, MentionRow.text), CorrectionRow.label)
                .join(CorrectionRow, CorrectionRow.mention_id == MentionRow.id)
                .outerjoin(PostEditRow, PostEditRow.id == CorrectionRow.edit_id)
                .order_by(CorrectionRow.id)
            ).all()
        latest = {mid: (text, label) for mid, text, label in rows}
        return list(latest.values())
