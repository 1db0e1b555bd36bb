"""The workflow commands on one queue item: `repmon assign`, `respond`, `draft`, `approve`, `escalate`,
`decide`, `dismiss`, `act` and `correct`. Who may do what is decided in ``monitor.actions``."""

from __future__ import annotations

import argparse

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, key_name, label_shown, shown_name, with_actor
from monitor.i18n import gettext_for
from monitor.text_safety import for_terminal
from monitor.vocabulary import Label

ACTIONS = ["start", "submit", "respond", "resolve", "escalate", "review", "close"]
LABEL_CHOICES = [str(label) for label in Label]  # plain str: argparse's error shows their repr

_ = common.tr  # the CLI's language; a function with its own `_` shadows it


def add_assign(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(sub.add_parser("assign", help=_("assign an item to someone")), _)
    p.add_argument("assignee")
    p.set_defaults(func=cmd_assign)


def add_respond(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(
        sub.add_parser("respond", help=_("mark an item responded (the reply was posted by hand)")), _
    )
    p.add_argument("--note", help=_("where or how it was answered"))
    p.add_argument("--reply-id", help=_("the platform's id of the reply that was posted"))
    p.add_argument(
        "--post", action="store_true", help=_("queue the reply; `repmon run` posts it (REPMON_POST_REPLIES)")
    )
    p.set_defaults(func=cmd_act)


def add_draft(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(
        sub.add_parser("draft", help=_("write or edit an item's reply (default: the playbook template)")), _
    )
    p.add_argument("--text", help=_("the reply as edited by the manager"))
    p.set_defaults(func=cmd_draft)


def add_approve(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(sub.add_parser("approve", help=_("approve an item's submitted reply draft")), _)
    p.set_defaults(func=cmd_approve)


def add_escalate(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(sub.add_parser("escalate", help=_("send an item to legal")), _)
    p.add_argument("--note", help=_("a note for the audit trail"))
    p.set_defaults(func=cmd_act)


def add_decide(sub: Subparsers, _: Gettext) -> None:
    from monitor.workflow import DECISIONS

    p = with_actor(sub.add_parser("decide", help=_("record legal's decision on an item in legal review")), _)
    p.add_argument("decision", choices=DECISIONS)
    p.add_argument("--note", help=_("a note for the audit trail"))
    p.set_defaults(func=cmd_act)


def add_dismiss(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(sub.add_parser("dismiss", help=_("dismiss an item, with a reason")), _)
    p.add_argument("--reason", required=True, help=_("why, for the audit trail"))
    p.set_defaults(func=cmd_act)


def add_act(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(
        sub.add_parser("act", help=_("any workflow action: start, submit, resolve, review, close, ...")), _
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--note", help=_("a note for the audit trail"))
    p.set_defaults(func=cmd_act)


def add_correct(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(
        sub.add_parser("correct", help=_("correct an item's label, with a reason (used by train)")), _
    )
    p.add_argument("label", choices=LABEL_CHOICES)
    p.add_argument("--reason", required=True, help=_("why, for the audit trail"))
    p.set_defaults(func=cmd_correct)


def cmd_act(args: argparse.Namespace) -> int:
    from monitor.actions import perform, queue_reply

    action = getattr(args, "action", None) or args.command
    store = common.open_store()
    lang = common.language()
    _ = gettext_for(lang)
    if action == "respond" and getattr(args, "post", False):
        entry = queue_reply(store, args.id, common.actor(args), common.now())
        print(
            _("item {id}: reply queued (outbox #{entry}); the running monitor (repmon run) posts it").format(
                id=args.id, entry=entry.id
            )
        )
        return 0
    state = perform(
        store,
        args.id,
        action,
        common.actor(args),
        common.now(),
        decision=getattr(args, "decision", None),
        reason=getattr(args, "reason", None),
        note=getattr(args, "note", None),
        reply_id=getattr(args, "reply_id", None),
    )
    lang = common.language()
    _ = gettext_for(lang)
    print(_("item {id}: {action} -> {state}").format(id=args.id, action=action, state=key_name(state, lang)))
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from monitor.actions import save_draft
    from playbooks.engine import load_library

    text, language = save_draft(
        common.open_store(), args.id, common.actor(args), common.now(), load_library(), args.text
    )
    print(
        _("item {id}: draft ({language}) saved:").format(id=args.id, language=language)
        + f"\n{for_terminal(text, text=True)}"
    )
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from monitor.actions import approve

    approve(common.open_store(), args.id, common.actor(args), common.now())
    print(
        _("item {id}: reply approved by {user}").format(
            id=args.id, user=shown_name(common.actor(args), common.language())
        )
    )
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from monitor.actions import assign

    assign(common.open_store(), args.id, args.assignee, common.actor(args), common.now())
    print(
        _("item {id}: assigned to {user}").format(
            id=args.id, user=shown_name(args.assignee, common.language())
        )
    )
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from monitor.actions import correct_label

    correct_label(common.open_store(), args.id, args.label, args.reason, common.actor(args), common.now())
    lang = common.language()
    _ = gettext_for(lang)
    print(_("item {id}: label corrected to {label}").format(id=args.id, label=label_shown(args.label, lang)))
    return 0
