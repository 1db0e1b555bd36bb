"""`repmon init`, `import`, `verify` and `status`: the database, what goes into it, and its state."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from monitor.cli import common
from monitor.cli.common import Subparsers, err
from monitor.text_safety import for_terminal, one_line

if TYPE_CHECKING:
    from monitor.storage import Store


def add_init(sub: Subparsers) -> None:
    p = sub.add_parser("init", help="create the database, or migrate it to the newest schema")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    store = common.open_store()
    _ = store.audit_key  # made now (mode 0600) if this installation has none yet
    print(f"database ready: {store.url.split('://')[0]} schema revision {store.schema_revision()}")
    print(f"audit key: {store.key_file}; checkpoint: {store.checkpoint_file} (back both up apart from the "
          "database: README, Security)")  # fmt: skip
    return 0


def add_import(sub: Subparsers) -> None:
    p = sub.add_parser("import", help="ingest saved API responses (one response body per file)")
    p.add_argument("--platform", required=True, choices=["x", "facebook"])
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--defer", action="store_true", help="store only; leave classification and triage to workers"
    )
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    """Store saved API responses (``monitor.importing``); exit 1 if any file or item was not stored."""
    from monitor.importing import finish_import, store_responses

    store = common.open_store()
    now = common.now()
    report = store_responses(store, args.platform, args.files, now, warn=err)
    if report.skipped:
        files = len({s["file"] for s in report.skipped})
        plural = "s" if files != 1 else ""
        err(f"repmon: {len(report.skipped)} items skipped in {files} file{plural}; the rest were imported")
    clf = None if args.defer else common.classifier()
    summary = finish_import(store, report, clf, now, common.now)
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if report.failed or report.skipped else 0


def add_verify(sub: Subparsers) -> None:
    p = sub.add_parser("verify", help="recompute the audit chain and every stored payload hash")
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    problems = common.open_store().verify()
    for p in problems:
        print(p)
    if problems:
        err(f"repmon: {len(problems)} integrity problem(s); the first broken link is listed first")
        return 1
    print("audit chain and all stored payload hashes verified")
    return 0


def add_status(sub: Subparsers) -> None:
    p = sub.add_parser("status", help="sources, counts and the last runs")
    p.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    store = common.open_store()
    counts = store.counts()
    print(f"database: {store.url.split('://')[0]}, schema {store.schema_revision()}")
    print("counts: " + ", ".join(f"{f.name} {getattr(counts, f.name)}" for f in fields(counts)))
    print("sources:")
    now = common.now()
    for src in store.sources() or []:
        last = src.last_success_at.isoformat(timespec="seconds") if src.last_success_at else "never"
        line = f"  {for_terminal(src.name):<16} {src.status:<12} last success {last}"
        if src.reset_at and src.reset_at > now:
            line += f", next poll allowed {src.reset_at.isoformat(timespec='seconds')}"
        found = src.cursor.get("reads")
        reads: dict[str, Any] = found if isinstance(found, dict) else {}
        if reads.get("day") == now.date().isoformat():
            line += f", reads today {reads.get('count', 0)}"
        if src.last_error:
            line += f"\n      last error: {one_line(src.last_error)}"
        print(line)
    if not store.sources():
        print("  (none polled yet: run `repmon poll --once` or `repmon demo --once`)")
    _print_jobs(store)
    _print_deliveries(store)
    _print_outbox(store)
    print("last runs:")
    for job in store.last_jobs(5):
        d = job.detail or {}
        print(
            f"  {job.started_at.isoformat(timespec='seconds')} {job.job} {job.status}: "
            f"{d.get('new_mentions', 0)} new, {d.get('classified', 0)} classified, "
            f"{d.get('triaged', 0)} triaged" + (f", {d['skipped']} skipped" if d.get("skipped") else "")
        )
        if job.job.startswith("import-"):  # a pipeline pass's problems are on its sources' lines
            for line in [*(d.get("failed") or []), *(f"skipped: {s}" for s in d.get("skipped_items") or [])]:
                print(f"      {line}")
    return 0


def _print_jobs(store: Store) -> None:
    jobs = store.job_states()
    if jobs:
        print("scheduled jobs (repmon run):")
        for j in jobs:
            last = j.last_run_at.isoformat(timespec="seconds") if j.last_run_at else "never"
            nxt = j.next_run_at.isoformat(timespec="seconds") if j.next_run_at else "-"
            line = f"  {j.name:<22} last {last} {j.last_status or ''}, next {nxt}, runs {j.runs}"
            if j.last_detail and j.last_status == "ok":
                line += f"\n      {j.last_detail}"
            if j.last_error:
                when = j.last_error_at.isoformat(timespec="seconds") if j.last_error_at else "?"
                line += f"\n      last error ({when}): {one_line(j.last_error)}"
            print(line)


def _print_outbox(store: Store) -> None:
    waiting = store.outbox.unsettled(limit=20)
    if waiting:
        print("replies waiting to be posted, or failed (outbox):")
        for r in waiting:
            print(
                f"  item {r.item_id} ({r.platform}) {r.status}, queued by {for_terminal(r.queued_by)}, "
                f"{r.attempts} attempt(s)"
                + (f"\n      last error: {one_line(r.last_error)}" if r.last_error else "")
            )


def _print_deliveries(store: Store) -> None:
    pending = store.deliveries(pending_only=True, limit=20)
    if pending:
        print("e-mails waiting to be sent:")
        for d in pending:
            retry = d.next_attempt_at.isoformat(timespec="seconds") if d.next_attempt_at else "now"
            print(
                f"  {d.kind} {d.key} to {for_terminal(d.recipient)}: {d.attempts} attempt(s), "
                f"next {retry}" + (f"\n      last error: {one_line(d.last_error)}" if d.last_error else "")
            )
