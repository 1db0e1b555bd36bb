"""The `repmon` command.

Each command group is a module of this package with its subparser beside its handler: ``classify``
(classify, evaluate, evaluate-virality), ``train``, ``bench``, ``data`` (init, import, verify, status),
``run`` (demo, run, worker, poll, dashboard), ``digest``, ``users``, ``queue`` (queue, item), ``actions``
(the workflow commands on one item), ``evidence`` and ``settings``; what they share is in ``common``.
The modules parse and print; the work is done in the product's modules.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from monitor import settings as repmon_settings
from monitor.cli import actions, bench, classify, data, digest, evidence, queue, run, settings, train, users
from monitor.cli.common import Gettext, Subparsers, err, language, parser_class
from monitor.cli.queue import render_queue
from monitor.cli.run import DEMO_PASSWORD
from monitor.errors import MonitorError
from monitor.i18n import error_text, gettext_for

__all__ = ["DEMO_PASSWORD", "build_parser", "main", "render_queue"]

# In the order `repmon -h` lists them.
COMMANDS: tuple[Callable[[Subparsers, Gettext], None], ...] = (
    classify.add_classify,
    classify.add_evaluate,
    classify.add_evaluate_virality,
    train.add_train,
    bench.add_bench,
    data.add_init,
    run.add_demo,
    run.add_run,
    run.add_worker,
    digest.add_digest,
    run.add_dashboard,
    users.add_users,
    run.add_poll,
    data.add_import,
    queue.add_item,
    actions.add_assign,
    actions.add_respond,
    actions.add_draft,
    actions.add_approve,
    actions.add_escalate,
    actions.add_decide,
    actions.add_dismiss,
    actions.add_act,
    evidence.add_evidence,
    actions.add_correct,
    data.add_verify,
    queue.add_queue,
    data.add_status,
    settings.add_settings,
)


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The `repmon` parser, its help in ``lang`` (default: the CLI's language, ``common.language()``)."""
    _ = gettext_for(lang or language())
    parser = parser_class(_)(prog="repmon", description=_("Social-media reputation monitor."))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub, _)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.func is not settings.cmd_settings:  # `repmon settings` lists the problems beside the values
            repmon_settings.load()  # once per command: every problem listed at once, nothing started
        result: int = args.func(args)
        return result
    except MonitorError as exc:
        err(f"repmon: {error_text(exc, language())}")
        return 2
    except KeyboardInterrupt:
        return 130
