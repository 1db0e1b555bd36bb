"""`repmon evidence`: an item's evidence bundle for the legal team (one ZIP, ``monitor.evidence``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, with_actor

_ = common.tr  # the CLI's language; a function with its own `_` shadows it


def add_evidence(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(sub.add_parser("evidence", help=_("write an item's evidence bundle (one ZIP)")), _)
    p.add_argument("--out", required=True, help=_("folder for the ZIP"))
    p.set_defaults(func=cmd_evidence)


def cmd_evidence(args: argparse.Namespace) -> int:
    from monitor.actions import write_evidence

    path, digest = write_evidence(
        common.open_store(), args.id, common.actor(args), common.now(), Path(args.out)
    )
    print(_("{path} (SHA-256 {digest})").format(path=path, digest=digest))
    return 0
