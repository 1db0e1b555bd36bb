"""`repmon evidence`: an item's evidence bundle for the legal team (one ZIP, ``monitor.evidence``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli import common
from monitor.cli.common import Subparsers, with_actor


def add_evidence(sub: Subparsers) -> None:
    p = with_actor(sub.add_parser("evidence", help="write an item's evidence bundle (one ZIP)"))
    p.add_argument("--out", required=True, help="folder for the ZIP")
    p.set_defaults(func=cmd_evidence)


def cmd_evidence(args: argparse.Namespace) -> int:
    from monitor.actions import write_evidence

    path, digest = write_evidence(
        common.open_store(), args.id, common.actor(args), common.now(), Path(args.out)
    )
    print(f"{path} (SHA-256 {digest})")
    return 0
