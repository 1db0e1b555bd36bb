"""`repmon user add|list|disable|enable`: the dashboard's users."""

from __future__ import annotations

import argparse
import sys

from monitor import i18n
from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, role_name, shown_name
from monitor.errors import InputError
from monitor.i18n import gettext_for
from monitor.text_safety import for_terminal
from monitor.vocabulary import Role


def add_users(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser(
        "user", help=_("dashboard users: `user add NAME --role ROLE` (password on stdin), `user list`")
    )
    users = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u = users.add_parser("add", help=_("add a user, or change one with --replace; the password is asked for"))
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=[str(role) for role in Role])
    u.add_argument("--replace", action="store_true", help=_("change an existing user's role and password"))
    u.add_argument(
        "--language", choices=i18n.LANGUAGES, help=_("their interface language (default: REPMON_UI_LANGUAGE)")
    )
    users.add_parser("list", help=_("list users and roles"))
    u = users.add_parser("disable", help=_("disable a user: they can no longer sign in or act"))
    u.add_argument("name")
    u = users.add_parser("enable", help=_("enable a user again; also lifts a sign-in lockout of the name"))
    u.add_argument("name")
    p.set_defaults(func=cmd_user)


def cmd_user(args: argparse.Namespace) -> int:
    import getpass

    from monitor.actions import add_user
    from monitor.users import check_name, check_role

    store = common.open_store()
    lang = common.language()
    _ = gettext_for(lang)
    if args.user_command == "list":
        for u in store.users():
            state = _("disabled") if u.disabled else _("active")
            role = role_name(u.role, lang)
            print(f"{for_terminal(u.name):<20} {role:<8} {state}  {for_terminal(u.email)}")
        return 0
    if args.user_command in ("disable", "enable"):
        store.set_user_disabled(check_name(args.name), args.user_command == "disable", common.now())
        done = _("user {name} disabled") if args.user_command == "disable" else _("user {name} enabled")
        print(done.format(name=shown_name(args.name, lang)))
        return 0
    name, role = check_name(args.name), check_role(args.role)
    if sys.stdin.isatty():
        password = getpass.getpass(_("password for {name}: ").format(name=name))
        if getpass.getpass(_("again: ")) != password:
            raise InputError("the two passwords differ: nothing was changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    name, created = add_user(
        store, name, role, password, common.now(), replace=args.replace, language=args.language
    )
    done = _("user {name} ({role}) added") if created else _("user {name} ({role}) updated")
    print(done.format(name=shown_name(name, lang), role=role_name(role, lang)))
    return 0
