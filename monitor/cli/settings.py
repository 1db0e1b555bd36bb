"""`repmon settings`: every setting, its value, help, default and what it allows; then every problem."""

from __future__ import annotations

import argparse

from monitor import settings as repmon_settings
from monitor.cli.common import Gettext, Subparsers, err


def add_settings(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("settings", help=_("show every setting, its value and its help"))
    p.set_defaults(func=cmd_settings)


def cmd_settings(args: argparse.Namespace) -> int:
    """Every setting: its value (a token: only whether it is set), help, default and what it allows;
    then every problem, and exit 2 if there is one."""
    listing, problems = repmon_settings.settings_listing()
    for line in listing:
        print(line)
    for problem in problems:
        err(f"repmon: {problem}")
    return 2 if problems else 0
