"""`repmon user add|list|disable|enable`: the dashboard's users."""

from __future__ import annotations

import argparse
import sys

from monitor import i18n
from monitor.cli import common
from monitor.cli.common import Subparsers
from monitor.errors import InputError
from monitor.text_safety import for_terminal


def add_users(sub: Subparsers) -> None:
    p = sub.add_parser(
        "user", help="dashboard users: `user add NAME --role ROLE` (password on stdin), `user list`"
    )
    users = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u = users.add_parser("add", help="add a user, or change one with --replace; the password is asked for")
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=("manager", "legal", "owner"))
    u.add_argument("--replace", action="store_true", help="change an existing user's role and password")
    u.add_argument(
        "--language", choices=i18n.LANGUAGES, help="their interface language (default: REPMON_UI_LANGUAGE)"
    )
    users.add_parser("list", help="list users and roles")
    u = users.add_parser("disable", help="disable a user: they can no longer sign in or act")
    u.add_argument("name")
    u = users.add_parser("enable", help="enable a user again; also lifts a sign-in lockout of the name")
    u.add_argument("name")
    p.set_defaults(func=cmd_user)


def cmd_user(args: argparse.Namespace) -> int:
    import getpass

    from monitor.actions import add_user
    from monitor.users import check_name, check_role

    store = common.open_store()
    if args.user_command == "list":
        for u in store.users():
            state = "disabled" if u.disabled else "active"
            print(f"{for_terminal(u.name):<20} {u.role:<8} {state}  {for_terminal(u.email)}")
        return 0
    if args.user_command in ("disable", "enable"):
        store.set_user_disabled(check_name(args.name), args.user_command == "disable", common.now())
        print(f"user {args.name} {args.user_command}d")
        return 0
    name, role = check_name(args.name), check_role(args.role)
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise InputError("the two passwords differ: nothing was changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    name, created = add_user(
        store, name, role, password, common.now(), replace=args.replace, language=args.language
    )
    print(f"user {for_terminal(name)} ({role}) {'added' if created else 'updated'}")
    return 0
