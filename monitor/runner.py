"""`repmon run`: the long-running monitor, on its own ``schedule.Scheduler``.

```
poll <source>   every 15 s: the source's own interval (and "poll now") decide inside poll_source;
                new mentions are classified and triaged right away
process         every 30 s: classify and triage what is left (deferred imports), re-score virality
alerts          every minute: e-mail items that meet the alert rule (once per item and recipient)
spikes          every 5 minutes: the last full hour's volume, all and negative, against 7 days
digest          every minute: once the local digest time has passed, today's digest to each recipient
replies         every 30 s: post the replies queued from the dashboard or the CLI (the reply outbox)
```
Every job is wrapped: an exception is logged and recorded (``job_state``) and never stops the loop.
SIGTERM and SIGINT stop the loop after the job that is running. All progress lives in the database
(cursors, classifications, the delivery ledger), so a restart resumes where the last run stopped and a
digest missed while the monitor was down goes out when it comes back.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import schedule

from monitor.email.alerts import (
    AlertRule,
    alert_key,
    items_to_alert,
    render_item_alert,
    render_spike_alert,
    volume_spikes,
)
from monitor.email.mailer import Recipient, alert_recipients, deliver, digest_recipients
from monitor.errors import ConfigError, JobError, MailError, StorageError
from monitor.pipeline import PassReport, Predictor, classify_new, poll_source, redact, triage_open
from monitor.settings import current
from monitor.sources import Source
from monitor.storage import Store
from playbooks.engine import LibraryHolder

log = logging.getLogger("repmon.run")
POLL_TICK = timedelta(seconds=15)


@dataclass
class RunConfig:
    """What the loop needs from the settings (see ``RunConfig.from_settings``)."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jerusalem"))
    digest_time: clock_time = clock_time(8, 0)
    dashboard_url: str = "http://127.0.0.1:8501"
    sender: str = ""
    rule: AlertRule = field(default_factory=AlertRule)
    spike_k: float = 3.0
    spike_min_count: int = 5

    @classmethod
    def from_settings(cls) -> RunConfig:
        s = current()
        return cls(
            s.timezone, s.digest_time, s.dashboard_url, s.digest_from,
            AlertRule(s.alert_labels, s.alert_virality), s.spike_k, s.spike_min_count,
        )  # fmt: skip


class Runner:
    """The scheduled jobs over one store; ``transport`` sends an e-mail (None: e-mail is off). A runner
    without a classifier (``repmon digest``) runs only the jobs that need none: e-mail, spikes."""

    def __init__(
        self,
        store: Store,
        sources: Sequence[Source],
        classifier: Predictor | None,
        config: RunConfig,
        *,
        transport: Callable[[EmailMessage], None] | None = None,
        holder: LibraryHolder | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.sources, self.classifier = store, list(sources), classifier
        self.config, self.transport, self.clock = config, transport, clock
        self.holder = holder or LibraryHolder()
        self.stop = threading.Event()
        self.scheduler = schedule.Scheduler()
        for src in self.sources:
            self._every(POLL_TICK, f"poll {src.name}", functools.partial(self.poll, src))
        self._every(timedelta(seconds=30), "process", self.process)
        self._every(timedelta(minutes=1), "alerts", self.alerts)
        self._every(timedelta(minutes=5), "spikes", self.spikes)
        self._every(timedelta(minutes=1), "digest", self.digest)
        self._every(timedelta(seconds=30), "replies", self.replies)

    # -- the loop -----------------------------------------------------------------------------

    def _every(self, interval: timedelta, name: str, fn: Callable[[], str]) -> None:
        self.scheduler.every(int(interval.total_seconds())).seconds.do(self.run_job, name, fn, interval)

    def run_job(self, name: str, fn: Callable[[], str], interval: timedelta | None = None) -> None:
        """Run one job; whatever it raises is logged and recorded, and the loop goes on."""
        if self.stop.is_set():
            return
        started = self.clock()
        next_run = started + interval if interval else None
        detail: str | None = None
        error: str | None = None
        try:
            detail = fn()
        except Exception as exc:  # a job's failure must never stop the monitor
            error = redact(f"{type(exc).__name__}: {exc}")
            log.error("job %s failed: %s", name, error)
        # A database that cannot take the record (locked past the busy timeout, full, read-only) is logged,
        # not raised: the loop goes on, and the job's next run retries its work from what is stored.
        status = "ok" if error is None else "error"
        try:
            self.store.save_job_state(name, started, status, detail=detail, error=error, next_run_at=next_run)
        except StorageError as exc:
            log.error("job %s: its run could not be recorded: %s", name, exc)

    def run_forever(self, run_now: bool = True) -> None:
        """Run jobs as they come due until ``stop`` is set (SIGTERM/SIGINT), then return."""
        if run_now:
            for job in list(self.scheduler.jobs):
                if self.stop.is_set():
                    break
                job.run()
        while not self.stop.is_set():
            self.scheduler.run_pending()
            idle = self.scheduler.idle_seconds
            self.stop.wait(timeout=max(0.2, min(1.0, idle if idle is not None else 1.0)))

    # -- the jobs ---------------------------------------------------------------------------------

    def _process(self, now: datetime) -> tuple[int, int]:
        if self.classifier is None:
            raise JobError("this runner has no classifier: it cannot classify or triage")
        version = self.classifier.model_version
        error = self.holder.reload()
        if error:
            log.warning("playbooks: %s", error)
        classified = classify_new(self.store, self.classifier.predict, version, now)
        triaged = triage_open(self.store, version, now, self.holder.library)
        return classified, triaged

    def poll(self, source: Source) -> str:
        now = self.clock()
        report = PassReport()
        poll_source(self.store, source, now, report)
        if report.new_mentions or report.new_snapshots:
            report.classified, report.triaged = self._process(now)
            self.store.record_job(f"poll {source.name}", now, self.clock(), "ok" if not report.errors else
                                  "partial", report.as_dict())  # fmt: skip
        if report.errors:
            raise JobError("; ".join(report.errors))
        return f"{report.new_mentions} new, {report.new_snapshots} snapshots, {report.classified} classified"

    def process(self) -> str:
        classified, triaged = self._process(self.clock())
        return f"{classified} classified, {triaged} triaged"

    def _send(
        self,
        kind: str,
        key: str,
        recipients: Sequence[Recipient],
        build: Callable[[Recipient], EmailMessage],
        now: datetime,
    ) -> dict[str, int]:
        results: dict[str, int] = {}
        if self.transport is None:  # e-mail is off: the jobs say so before they build anything
            return results
        for r in recipients:
            outcome = deliver(self.store, kind, key, r, functools.partial(build, r), self.transport, now)
            results[outcome] = results.get(outcome, 0) + 1
        return results

    def alerts(self) -> str:
        if self.transport is None:
            return "e-mail is off (REPMON_SMTP_HOST is empty)"
        now = self.clock()
        recipients = alert_recipients(self.store)
        if not recipients:
            return "no alert recipients"
        total: dict[str, int] = {}
        for item in items_to_alert(self.store, self.config.rule):
            build = lambda r, item=item: render_item_alert(  # noqa: E731
                item, r.language, self.config.sender, r.address, self.config.dashboard_url, now
            )
            for k, v in self._send("alert", alert_key(item), recipients, build, now).items():
                total[k] = total.get(k, 0) + v
        failed = total.get("failed", 0)
        if failed:
            raise MailError(f"{failed} alert e-mail(s) failed; see `repmon status` (retried with backoff)")
        return ", ".join(f"{k} {v}" for k, v in sorted(total.items())) or "nothing to alert"

    def spikes(self) -> str:
        now = self.clock()
        found = volume_spikes(self.store, now, self.config.spike_k, self.config.spike_min_count)
        if not found or self.transport is None:
            return f"{len(found)} spike(s)" + ("" if self.transport else "; e-mail is off")
        recipients = alert_recipients(self.store)
        for spike in found:
            build = lambda r, spike=spike: render_spike_alert(  # noqa: E731
                spike,
                r.language,
                self.config.sender,
                r.address,
                self.config.dashboard_url,
                now,
                self.config.tz,
            )
            self._send("spike", spike.key, recipients, build, now)
        return f"{len(found)} spike(s): " + ", ".join(s.key for s in found)

    def replies(self) -> str:
        """Post the replies people queued (``monitor/outbox.py``); a failed attempt fails the job (the
        row keeps its error and is retried)."""
        from monitor.outbox import post_queued

        report = post_queued(self.store, self.clock())
        if report.errors:
            raise JobError(f"{report}: " + "; ".join(report.errors))
        return str(report)

    def digest_due(self, now: datetime) -> bool:
        return now.astimezone(self.config.tz).time() >= self.config.digest_time

    def digest(self, force: bool = False) -> str:
        """Today's digest to every recipient who has not had it, once the digest time has passed."""
        now = self.clock()
        if not force and not self.digest_due(now):
            return f"not yet (due {self.config.digest_time:%H:%M} {self.config.tz.key})"
        if self.transport is None:
            return "e-mail is off (REPMON_SMTP_HOST is empty)"
        from monitor.email.digest import DigestSummary, collect_digest, render_digest

        problems: list[str] = []
        recipients = digest_recipients(self.store, problems)
        if not recipients:
            if problems:  # every address is unusable: nothing to send, the settings need fixing
                raise ConfigError("; ".join(problems))
            return "no digest recipients (REPMON_DIGEST_RECIPIENTS, or owners on the Account page)"
        key = now.astimezone(self.config.tz).date().isoformat()
        summary: list[DigestSummary] = []

        def build(r: Recipient) -> EmailMessage:
            if not summary:
                summary.append(
                    collect_digest(
                        self.store, now, self.config.tz, self.config.dashboard_url, self.holder.library
                    )
                )
            return render_digest(summary[0], r.language, self.config.sender, r.address)

        results = self._send("digest", key, recipients, build, now)
        if results.get("failed"):
            raise MailError(
                f"digest {key}: {results['failed']} of {len(recipients)} failed; retried with backoff"
            )
        if problems:  # the others had it; these addresses got nothing and are not recorded as sent
            raise ConfigError(f"digest {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(results.items()))
                              + "; " + "; ".join(problems))  # fmt: skip
        return f"digest {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(results.items()))
