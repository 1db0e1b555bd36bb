"""`repmon init`, `import`, `verify` and `status`: the database, what goes into it, and its state."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, err, key_name, shown_name, when
from monitor.i18n import N_, gettext_for, ngettext_for
from monitor.records import PLATFORMS
from monitor.text_safety import for_terminal, json_for_terminal, one_line

if TYPE_CHECKING:
    from monitor.storage import Store


def add_init(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("init", help=_("create the database, or migrate it to the newest schema"))
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    store = common.open_store()
    store.audit_key  # noqa: B018  (made now, mode 0600, if this installation has none yet)
    _ = common.gettext()
    print(
        _("database ready: {database} schema revision {revision}").format(
            database=store.url.split("://")[0], revision=store.schema_revision()
        )
    )
    print(
        _(
            "audit key: {key}; checkpoint: {checkpoint} (back both up apart from the database: README, "
            "Security)"
        ).format(key=store.key_file, checkpoint=store.checkpoint_file)
    )
    return 0


def add_import(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("import", help=_("ingest saved API responses (one response body per file)"))
    p.add_argument("--platform", required=True, choices=[str(p) for p in PLATFORMS])
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--defer", action="store_true", help=_("store only; leave classification and triage to workers")
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
        n_ = common.ngettext()
        in_files = n_("in {files} file", "in {files} files", files).format(files=files)
        err(
            n_(
                "repmon: {n} item skipped {in_files}; the rest were imported",
                "repmon: {n} items skipped {in_files}; the rest were imported",
                len(report.skipped),
            ).format(n=len(report.skipped), in_files=in_files)
        )
    clf = None if args.defer else common.classifier()
    summary = finish_import(store, report, clf, now, common.now)
    print(json_for_terminal(summary))
    return 1 if report.failed or report.skipped else 0


def add_verify(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("verify", help=_("recompute the audit chain and every stored payload hash"))
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    problems = common.open_store().verify()
    _, n_ = common.gettext(), common.ngettext()
    for p in problems:
        print(p)
    if problems:
        err(
            n_(
                "repmon: {n} integrity problem; the first broken link is listed first",
                "repmon: {n} integrity problems; the first broken link is listed first",
                len(problems),
            ).format(n=len(problems))
        )
        return 1
    print(_("audit chain and all stored payload hashes verified"))
    return 0


def add_status(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("status", help=_("sources, counts and the last runs"))
    p.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    store = common.open_store()
    lang = common.language()
    _ = gettext_for(lang)
    counts = store.counts()
    print(
        _("database: {database}, schema {revision}").format(
            database=store.url.split("://")[0], revision=store.schema_revision()
        )
    )
    print(
        _("counts: {counts}").format(
            counts=", ".join(f"{_count_name(f.name, _)} {getattr(counts, f.name)}" for f in fields(counts))
        )
    )
    print(_("sources:"))
    now = common.now()
    for src in store.sources() or []:
        last = when(src.last_success_at, lang, never=_("never"))
        line = "  " + _("{name} {status} last success {last}").format(
            name=f"{for_terminal(src.name):<16}", status=f"{key_name(src.status, lang):<12}", last=last
        )
        if src.reset_at and src.reset_at > now:
            line += _(", next poll allowed {at}").format(at=when(src.reset_at, lang))
        found = src.cursor.get("reads")
        reads: dict[str, Any] = found if isinstance(found, dict) else {}
        if reads.get("day") == now.date().isoformat():
            line += _(", reads today {count}").format(count=reads.get("count", 0))
        if src.last_error:
            line += "\n      " + _("last error: {error}").format(error=one_line(src.last_error))
        print(line)
    if not store.sources():
        print("  " + _("(none polled yet: run `repmon poll --once` or `repmon demo --once`)"))
    _print_jobs(store, lang)
    _print_deliveries(store, lang)
    _print_outbox(store, lang)
    print(_("last runs:"))
    for job in store.last_jobs(5):
        d = job.detail or {}
        line = _("{job} {status}: {new} new, {classified} classified, {triaged} triaged").format(
            job=job.job,
            status=key_name(job.status, lang),
            new=d.get("new_mentions", 0),
            classified=d.get("classified", 0),
            triaged=d.get("triaged", 0),
        )
        if d.get("skipped"):
            line += _(", {n} skipped").format(n=d["skipped"])
        print(f"  {when(job.started_at, lang)} {line}")
        if job.job.startswith("import-"):  # a pipeline pass's problems are on its sources' lines
            skipped = (_("skipped: {item}").format(item=s) for s in d.get("skipped_items") or [])
            for problem in [*(d.get("failed") or []), *skipped]:
                print(f"      {problem}")
    return 0


# What `repmon status` counts (``Store.counts``), named for the catalogue.
COUNT_NAMES: dict[str, str] = {
    "mentions": N_("mentions"),
    "demo_mentions": N_("demo mentions"),
    "snapshots": N_("snapshots"),
    "classifications": N_("classifications"),
    "triage_items": N_("triage items"),
    "open_items": N_("open items"),
}


def _count_name(key: str, _: Gettext) -> str:
    """A count's name: its key in English (as the CLI always printed it), else the catalogue's name."""
    name = COUNT_NAMES.get(key)
    translated = _(name) if name else key
    return key if translated == name else translated


def _print_jobs(store: Store, lang: str) -> None:
    _ = gettext_for(lang)
    jobs = store.job_states()
    if jobs:
        print(_("scheduled jobs (repmon run):"))
        for j in jobs:
            line = "  " + _("{name} last {last} {status}, next {next}, runs {runs}").format(
                name=f"{j.name:<22}",
                last=when(j.last_run_at, lang, never=_("never")),
                status=key_name(j.last_status, lang) if j.last_status else "",
                next=when(j.next_run_at, lang),
                runs=j.runs,
            )
            if j.last_detail and j.last_status == "ok":
                line += f"\n      {j.last_detail}"
            if j.last_error:
                line += "\n      " + _("last error ({at}): {error}").format(
                    at=when(j.last_error_at, lang), error=one_line(j.last_error)
                )
            print(line)


def _print_outbox(store: Store, lang: str) -> None:
    _, n_ = gettext_for(lang), ngettext_for(lang)
    waiting = store.outbox.unsettled(limit=20)
    if waiting:
        print(_("replies waiting to be posted, or failed (outbox):"))
        for r in waiting:
            print(
                "  "
                + n_(
                    "item {id} ({platform}) {status}, queued by {user}, {n} attempt",
                    "item {id} ({platform}) {status}, queued by {user}, {n} attempts",
                    r.attempts,
                ).format(
                    id=r.item_id,
                    platform=key_name(r.platform, lang),
                    status=r.status,
                    user=shown_name(r.queued_by, lang),
                    n=r.attempts,
                )
                + (
                    "\n      " + _("last error: {error}").format(error=one_line(r.last_error))
                    if r.last_error
                    else ""
                )
            )


def _print_deliveries(store: Store, lang: str) -> None:
    _ = gettext_for(lang)
    pending = store.deliveries(pending_only=True, limit=20)
    if pending:
        print(_("e-mails waiting to be sent:"))
        for d in pending:
            print(
                "  "
                + _("{kind} {key} to {recipient}: {n} attempt(s), next {next}").format(
                    kind=d.kind,
                    key=d.key,
                    recipient=shown_name(d.recipient, lang),
                    n=d.attempts,
                    next=when(d.next_attempt_at, lang, never=_("now")),
                )
                + (
                    "\n      " + _("last error: {error}").format(error=one_line(d.last_error))
                    if d.last_error
                    else ""
                )
            )
