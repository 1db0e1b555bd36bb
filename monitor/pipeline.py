"""One pass of the monitor: poll -> store -> classify -> virality -> triage -> queue.

Every stage is resumable and idempotent: pages are stored with their cursor in one transaction; a
mention is classified once per model version, and so is each version of its text edited on the platform
since (a later capture's text: ``monitor.edits``); triage re-scores open items on their most serious
version (``monitor.triage.most_serious``) and never reopens closed ones. A source that fails mid-page
loses nothing already stored and does not stop the other sources.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from classifiers import Prediction
from classifiers.virality import score_virality
from monitor.edits import read_edit
from monitor.errors import MonitorError, RateLimited, SourceError
from monitor.records import mention_problems
from monitor.redact import redact
from monitor.sources import Source
from monitor.storage import Store
from monitor.triage import decide, most_serious
from playbooks.engine import Library, load_library

log = logging.getLogger("repmon.pipeline")


class Predictor(Protocol):
    """What a pass needs of a classifier (``classifiers.Classifier``, or a test's stand-in): its version
    and a batch ``predict`` that returns one prediction per text, in order."""

    @property
    def model_version(self) -> str: ...

    def predict(self, texts: list[str]) -> Sequence[Prediction]: ...


@dataclass
class PassReport:
    """What one pass did; ``errors`` holds a message per failed source, rejected mention or skipped item.

    ``rejected`` counts mentions ``mention_problems`` refused here; ``skipped`` counts items a source
    could not turn into records (a malformed tweet, a post the source's own check refused).
    """

    new_mentions: int = 0
    new_snapshots: int = 0
    classified: int = 0
    triaged: int = 0
    rejected: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "new_mentions": self.new_mentions,
            "new_snapshots": self.new_snapshots,
            "classified": self.classified,
            "triaged": self.triaged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "errors": list(self.errors),
        }


def poll_source(store: Store, source: Source, now: datetime, report: PassReport) -> None:
    """Fetch and store a source's pages one at a time; on failure, record it and return."""
    state = store.source_state(source.name)
    if state and state.status == "rate_limited" and state.reset_at and state.reset_at > now:
        report.errors.append(
            f"source {source.name!r}: rate limited until {state.reset_at.isoformat()}, skipped"
        )
        return
    interval = getattr(source, "min_interval", None)
    requested = bool(  # someone pressed "poll now" after the last successful poll
        state
        and state.poll_requested_at
        and (state.last_success_at is None or state.poll_requested_at > state.last_success_at)
    )
    if (
        interval
        and state
        and not requested
        and state.status == "ok"
        and state.last_success_at
        and state.last_success_at + interval > now
    ):
        return  # polled recently enough: the platform's own interval for this source has not passed
    cursor = dict(state.cursor) if state else {}
    skipped: list[str] = []
    try:
        for page in source.fetch(cursor, now):
            for item in page.skipped:
                skipped.append(redact(f"source {source.name!r}: {item}"))
            good = []
            for m in page.mentions:
                problems = mention_problems(m, now)
                if problems:
                    report.rejected += 1
                    report.errors.append(
                        redact(
                            f"source {source.name!r}: skipped {m.platform}/{m.external_id}: "
                            + "; ".join(problems)
                        )
                    )
                else:
                    good.append(m)
            saved = store.save_page(
                source.name, good, page.metrics, page.cursor, now, page.shares, page.captures, page.deleted
            )
            report.new_mentions += saved.new_mentions
            report.new_snapshots += saved.new_snapshots
        if skipped:  # the poll worked, but not every item could be stored: say so where status looks
            store.mark_source(source.name, now, status="ok", error=_skipped_summary(len(skipped), skipped[0]))
    except RateLimited as exc:
        message = redact(str(exc))
        store.mark_source(source.name, now, status="rate_limited", error=message, reset_at=exc.reset_at)
        report.errors.append(message)
    except SourceError as exc:
        store.mark_source(source.name, now, status="failing", error=redact(str(exc)))
        report.errors.append(redact(str(exc)))
    except MonitorError:
        raise
    except Exception as exc:
        msg = redact(f"source {source.name!r} failed: {type(exc).__name__}: {exc}")
        log.error(msg)
        store.mark_source(source.name, now, status="failing", error=msg)
        report.errors.append(msg)
    finally:
        report.skipped += len(skipped)
        report.errors.extend(skipped)


def _skipped_summary(count: int, first: str) -> str:
    """The source's last-error line after a poll that skipped items."""
    more = f" (and {count - 1} more: see the pass report)" if count > 1 else ""
    return f"the last poll skipped {count} item(s) it could not read: {first}{more}"


def classify_new(
    store: Store,
    predict: Callable[[list[str]], Sequence[Prediction]],
    model_version: str,
    now: datetime,
    batch_size: int = 8192,
) -> int:
    """Classify every mention not yet classified by ``model_version``, then every version of a post's
    text edited on the platform not yet classified by it (``classify_edits``), in batches; how many texts
    were classified."""
    done = _classify_all(
        lambda: store.unclassified(model_version, batch_size), predict, store.save_classifications, now
    )
    return done + classify_edits(store, predict, model_version, now, batch_size)


def _classify_all(
    fetch: Callable[[], list[tuple[int, str]]],
    predict: Callable[[list[str]], Sequence[Prediction]],
    save: Callable[[Sequence[tuple[int, Prediction]], datetime], int],
    now: datetime,
) -> int:
    """Classify batches of (id, text) from ``fetch`` and ``save`` the predictions by id, until ``fetch``
    has nothing left; how many were saved."""
    done = 0
    while batch := fetch():
        preds = predict([text for _, text in batch])
        done += save([(key, p) for (key, _), p in zip(batch, preds, strict=True)], now)
    return done


def read_edits(store: Store, now: datetime, batch_size: int = 1000) -> int:
    """Read every capture not read yet for an edit of its post's text (``monitor.edits.read_edit``),
    storing each new version; how many captures were read."""
    done = 0
    while read := store.read_captures(read_edit, batch_size, now):
        done += read
    return done


def classify_edits(
    store: Store,
    predict: Callable[[list[str]], Sequence[Prediction]],
    model_version: str,
    now: datetime,
    batch_size: int = 8192,
) -> int:
    """Read the new captures for edits (``read_edits``), then classify each edited version not yet
    classified by ``model_version``; how many versions were classified."""
    read_edits(store, now)
    return _classify_all(
        lambda: store.unclassified_edits(model_version, batch_size),
        predict,
        store.save_edit_classifications,
        now,
    )


def triage_open(
    store: Store,
    model_version: str,
    now: datetime,
    library: Library | None = None,
    mention_ids: Sequence[int] | None = None,
) -> int:
    """Score virality and (re)triage every classified mention whose item is new or still open (only
    those of ``mention_ids`` when given: a worker triages what it classified), on the most serious of
    its versions classified by ``model_version``: the first text or an edit made on the platform."""
    library = library or load_library()
    total = 0
    while True:
        rows = store.triage_candidates(model_version, now, limit=5000, offset=total, mention_ids=mention_ids)
        if not rows:
            return total
        ids = [r.mention_id for r in rows]
        snaps, sharers = store.snapshots(ids), store.sharer_followers(ids)
        decisions = []
        for r in rows:
            vir = score_virality(
                snaps.get(r.mention_id, []),
                r.created_at,
                r.author_followers,
                now,
                sharer_followers=sharers.get(r.mention_id),
            )
            # The first text, then each edit, oldest first; a person's label wins over the model's on each.
            versions = [(None, r.label, r.scores)] + [
                (e.edit_id, r.label if r.corrected else e.label, e.scores) for e in r.edits
            ]
            options = [
                decide(
                    label,
                    scores,
                    vir,
                    r.author_followers,
                    r.own_page,
                    r.created_at,
                    r.first_seen_at,
                    now,
                    library,
                )
                for _, label, scores in versions
            ]
            chosen = most_serious(options, library)
            decision = replace(options[chosen], language=r.language, edit_id=versions[chosen][0])
            decisions.append((r.mention_id, decision, vir))
        store.save_triage(decisions, now)
        total += len(rows)


def run_pass(
    store: Store,
    sources: Sequence[Source],
    classifier: Predictor,
    now: datetime,
    *,
    batch_size: int = 8192,
    library: Library | None = None,
) -> PassReport:
    """One full pass over every source; returns what it did. Records the run in ``job_runs``."""
    report = PassReport()
    for source in sources:
        poll_source(store, source, now, report)
    version = classifier.model_version
    report.classified = classify_new(store, classifier.predict, version, now, batch_size)
    report.triaged = triage_open(store, version, now, library)
    status = "ok" if not report.errors else "partial"
    store.record_job("pipeline", now, now, status, report.as_dict())
    return report
