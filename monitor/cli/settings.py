"""`repmon settings`: every setting, its value, help, default and what it allows; then every problem."""

from __future__ import annotations

import argparse

from monitor.cli.common import Subparsers, err
from monitor.errors import ConfigError
from monitor.settings import SETTINGS, load_settings


def add_settings(sub: Subparsers) -> None:
    p = sub.add_parser("settings", help="show every setting, its value and its help")
    p.set_defaults(func=cmd_settings)


def cmd_settings(args: argparse.Namespace) -> int:
    """Every setting: its value (a token: only whether it is set), help, default and what it allows;
    then every problem, and exit 2 if there is one."""
    from monitor.settings import SECRETS, secret, settings_problems
    from monitor.storage.store import _redact

    values = load_settings()
    if values["REPMON_DATABASE_URL"]:  # a PostgreSQL URL may carry its password
        values["REPMON_DATABASE_URL"] = _redact(values["REPMON_DATABASE_URL"])
    problems = settings_problems()
    for s in SETTINGS:
        if s.name in SECRETS:
            try:
                value = "(set)" if secret(s.name) else "(not set)"
            except ConfigError:
                value = "(secrets file unusable)"
        else:
            value = values[s.name]
        print(
            f"{s.name}={value}\n    {s.help} (default: {s.default or '(empty)'}; allowed: {s.kind.allowed})"
        )
    for problem in problems:
        err(f"repmon: {problem}")
    return 2 if problems else 0
