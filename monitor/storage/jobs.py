"""Scheduled jobs' state, the record of each run, and the database's counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from monitor.storage.database import Database, to_record
from monitor.storage.models import (
    ClassificationRow,
    JobRunRow,
    JobStateRow,
    MentionRow,
    MetricSnapshotRow,
    TriageItemRow,
)
from monitor.stored import JobRun, JobState, StoreCounts


class Jobs:
    """What the scheduled jobs and passes did."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save_job_state(
        self,
        name: str,
        at: datetime,
        status: str,
        *,
        detail: str | None = None,
        error: str | None = None,
        next_run_at: datetime | None = None,
    ) -> None:
        """Record one run of a scheduled job (``ok`` or ``error``) and when it runs next."""
        with self.db.session() as s:
            row = s.get(JobStateRow, name)
            if row is None:
                row = JobStateRow(name=name, runs=0, errors=0)
                s.add(row)
            row.last_run_at, row.last_status, row.last_detail = at, status, detail
            row.next_run_at = next_run_at
            row.runs = (row.runs or 0) + 1
            if error is not None:
                row.last_error, row.last_error_at, row.errors = error, at, (row.errors or 0) + 1

    def job_states(self) -> list[JobState]:
        """Every scheduled job's state, by name."""
        with self.db.session() as s:
            return [to_record(JobState, r) for r in s.scalars(select(JobStateRow).order_by(JobStateRow.name))]

    def record_job(
        self, job: str, started_at: datetime, finished_at: datetime, status: str, detail: dict[str, object]
    ) -> None:
        """Record one run of a job (a pipeline pass, an import) with what it did."""
        with self.db.session() as s:
            s.add(
                JobRunRow(
                    job=job, started_at=started_at, finished_at=finished_at, status=status, detail=detail
                )
            )

    def last_jobs(self, limit: int = 5) -> list[JobRun]:
        """The latest runs, newest first."""
        with self.db.session() as s:
            q = select(JobRunRow).order_by(JobRunRow.id.desc()).limit(limit)
            return [
                JobRun(r.id, r.job, r.started_at, r.finished_at, r.status, dict(r.detail or {}))
                for r in s.scalars(q)
            ]

    def counts(self) -> StoreCounts:
        """How many mentions (demo ones too), snapshots, classifications, items and open items are stored."""
        with self.db.session() as s:
            count = lambda model: s.scalar(select(func.count()).select_from(model)) or 0  # noqa: E731
            by_open = {
                is_open: n
                for is_open, n in s.execute(
                    select(TriageItemRow.is_open, func.count()).group_by(TriageItemRow.is_open)
                ).all()
            }
            return StoreCounts(
                mentions=count(MentionRow),
                demo_mentions=s.scalar(select(func.count()).where(MentionRow.is_demo.is_(True))) or 0,
                snapshots=count(MetricSnapshotRow),
                classifications=count(ClassificationRow),
                triage_items=count(TriageItemRow),
                open_items=by_open.get(True, 0),
            )
