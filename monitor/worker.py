"""`repmon worker`: one of any number of processes sharing the classification and triage work.

Run one scheduler (`repmon run`), N workers and M dashboards against one PostgreSQL database:

- each worker claims a batch of unclassified mentions with ``FOR UPDATE SKIP LOCKED``, classifies it and
  stores the predictions in the same transaction, then triages what it classified; no mention is
  processed twice, and no worker waits for another. Edits made on the platform go the same way: a worker
  reads a batch of new captures for edits, claims a batch of unclassified edited versions, classifies
  them and re-triages their posts (on the most serious version);
- each worker may also poll the configured sources; a source is polled by one holder at a time (an
  advisory lock), so extra workers skip it instead of fetching the same page twice;
- ``--exit-when-idle`` ends the worker when no work is left, with a last line ``processed N items``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from monitor.edits import read_edit
from monitor.errors import StorageBusy
from monitor.pipeline import PassReport, Predictor, poll_source, triage_open
from monitor.sources import Source
from monitor.storage import Store
from playbooks.engine import LibraryHolder

log = logging.getLogger("repmon.worker")
BUSY = -1


class Worker:
    """Claims and processes work from the store until told to stop (or, if asked, until idle)."""

    def __init__(
        self,
        store: Store,
        classifier: Predictor,
        *,
        sources: Sequence[Source] = (),
        batch: int = 256,
        holder: LibraryHolder | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.classifier, self.sources = store, classifier, list(sources)
        self.batch, self.clock = batch, clock
        self.holder = holder or LibraryHolder()
        self.stop = threading.Event()
        self.processed = 0

    def poll(self) -> int:
        """Poll each source this worker can lock; the number of new mentions stored."""
        report = PassReport()
        for source in self.sources:
            with self.store.source_lock(source.name) as held:
                if held:
                    poll_source(self.store, source, self.clock(), report)
        for error in report.errors:
            log.warning("%s", error)
        return report.new_mentions

    def work_once(self) -> int:
        """Classify and triage one claimed batch of mentions; then read a batch of new captures for edits,
        and classify one claimed batch of edited versions and re-triage their posts. How much it did:
        mentions classified, captures read and posts whose edits it classified (0: nothing left;
        ``BUSY``: SQLite was locked by another writer before any of it, try again)."""
        now = self.clock()
        version, predict = self.classifier.model_version, self.classifier.predict
        try:
            ids = self.store.classify_claimed(version, self.batch, predict, now)
        except StorageBusy as exc:
            log.info("the database is busy (another writer); retrying: %s", exc)
            return BUSY
        if ids:
            triage_open(self.store, version, now, self.holder.library, mention_ids=ids)
            self.processed += len(ids)
        try:
            read = self.store.read_captures(read_edit, self.batch, now)
            edited = self.store.classify_claimed_edits(version, self.batch, predict, now)
        except StorageBusy as exc:
            log.info("the database is busy (another writer); retrying: %s", exc)
            return len(ids) or BUSY
        if edited:
            triage_open(self.store, version, now, self.holder.library, mention_ids=edited)
            self.processed += len(edited)
        return len(ids) + read + len(edited)

    def run(self, exit_when_idle: bool = False, idle_wait: float = 1.0) -> int:
        """Work until ``stop`` is set, or until idle with ``exit_when_idle``; returns items processed."""
        while not self.stop.is_set():
            new = self.poll() if self.sources else 0
            done = self.work_once()
            if done == BUSY:
                self.stop.wait(0.2)
                continue
            if not done and not new:
                if exit_when_idle:
                    break
                self.stop.wait(idle_wait)
        return self.processed
