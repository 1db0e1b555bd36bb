"""The workflow commands on one queue item: `repmon assign`, `respond`, `draft`, `approve`, `escalate`,
`decide`, `dismiss`, `act` and `correct`. Who may do what is decided in ``monitor.actions``."""

from __future__ import annotations

import argparse

from monitor.cli import common
from monitor.cli.common import Subparsers, with_actor
from monitor.text_safety import for_terminal
from monitor.vocabulary import Label

ACTIONS = ["start", "submit", "respond", "resolve", "escalate", "review", "close"]
LABEL_CHOICES = [str(label) for label in Label]  # plain str: argparse's error shows their repr


def add_assign(sub: Subparsers) -> None:
    p = with_actor(sub.add_parser("assign", help="assign an item to someone"))
    p.add_argument("assignee")
    p.set_defaults(func=cmd_assign)


def add_respond(sub: Subparsers) -> None:
    p = with_actor(sub.add_parser("respond", help="mark an item responded (the reply was posted by hand)"))
    p.add_argument("--note", help="where or how it was answered")
    p.add_argument("--reply-id", help="the platform's id of the reply that was posted")
    p.add_argument(
        "--post", action="store_true", help="queue the reply; `repmon run` posts it (REPMON_POST_REPLIES)"
    )
    p.set_defaults(func=cmd_act)


def add_draft(sub: Subparsers) -> None:
    p = with_actor(
        sub.add_parser("draft", help="write or edit an item's reply (default: the playbook template)")
    )
    p.add_argument("--text", help="the reply as edited by the manager")
    p.set_defaults(func=cmd_draft)


def add_approve(sub: Subparsers) -> None:
    p = with_actor(sub.add_parser("approve", help="approve an item's submitted reply draft"))
    p.set_defaults(func=cmd_approve)


def add_escalate(sub: Subparsers) -> None:
    p = with_actor(sub.add_parser("escalate", help="send an item to legal"))
    p.add_argument("--note")
    p.set_defaults(func=cmd_act)


def add_decide(sub: Subparsers) -> None:
    from monitor.workflow import DECISIONS

    p = with_actor(sub.add_parser("decide", help="record legal's decision on an item in legal review"))
    p.add_argument("decision", choices=DECISIONS)
    p.add_argument("--note")
    p.set_defaults(func=cmd_act)


def add_dismiss(sub: Subparsers) -> None:
    p = with_actor(sub.add_parser("dismiss", help="dismiss an item, with a reason"))
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_act)


def add_act(sub: Subparsers) -> None:
    p = with_actor(
        sub.add_parser("act", help="any workflow action: start, submit, resolve, review, close, ...")
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--note")
    p.set_defaults(func=cmd_act)


def add_correct(sub: Subparsers) -> None:
    p = with_actor(sub.add_parser("correct", help="correct an item's label, with a reason (used by train)"))
    p.add_argument("label", choices=LABEL_CHOICES)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_correct)


def cmd_act(args: argparse.Namespace) -> int:
    from monitor.actions import perform, queue_reply

    action = getattr(args, "action", None) or args.command
    store = common.open_store()
    if action == "respond" and getattr(args, "post", False):
        entry = queue_reply(store, args.id, common.actor(args), common.now())
        print(f"item {args.id}: reply queued (outbox #{entry.id}); the running monitor (repmon run) posts it")
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
    print(f"item {args.id}: {action} -> {state}")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from monitor.actions import save_draft
    from playbooks.engine import load_library

    text, language = save_draft(
        common.open_store(), args.id, common.actor(args), common.now(), load_library(), args.text
    )
    print(f"item {args.id}: draft ({language}) saved:\n{for_terminal(text, text=True)}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from monitor.actions import approve

    approve(common.open_store(), args.id, common.actor(args), common.now())
    print(f"item {args.id}: reply approved by {for_terminal(common.actor(args))}")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from monitor.actions import assign

    assign(common.open_store(), args.id, args.assignee, common.actor(args), common.now())
    print(f"item {args.id}: assigned to {for_terminal(args.assignee)}")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from monitor.actions import correct_label

    correct_label(common.open_store(), args.id, args.label, args.reason, common.actor(args), common.now())
    print(f"item {args.id}: label corrected to {args.label}")
    return 0
