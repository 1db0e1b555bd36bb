"""`repmon queue` and `repmon item`: the triage queue as a table or JSON lines, and one item whole."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.cli import common
from monitor.cli.common import Subparsers, with_actor
from monitor.errors import InputError
from monitor.formatting import age, reach
from monitor.text_safety import flags, for_terminal, one_line

if TYPE_CHECKING:
    from monitor.records import QueueItem
    from playbooks.engine import Library


def add_item(sub: Subparsers) -> None:
    p = with_actor(
        sub.add_parser("item", help="one queue item: the post, scores, playbook steps, audit trail")
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_item)


def add_queue(sub: Subparsers) -> None:
    p = sub.add_parser("queue", help="the triage queue, highest priority first")
    p.add_argument("--json", action="store_true", help="JSON lines, one item per line")
    p.add_argument("--all", action="store_true", help="include closed items")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_queue)


def cmd_item(args: argparse.Namespace) -> int:
    from monitor.actions import draft_for
    from monitor.workflow import AWAITING_FIRST_RESPONSE, allowed_actions
    from playbooks.engine import load_library

    store = common.open_store()
    found = store.item(args.id)  # the item and its audit trail
    if found is None:
        raise InputError(f"no queue item {args.id}: see `repmon queue --all`")
    item, now = found.item, common.now()
    q = store.queue_item(args.id)
    library = load_library()
    playbook = library.playbooks.get(item.playbook)
    breached = item.status in AWAITING_FIRST_RESPONSE and item.sla_due_at < now
    if args.json:
        out = {
            **(queue_json(q, library) if q else {}),
            "assignee": item.assignee,
            "decision": item.decision,
            "sla_breached": breached,
            "reasons": item.reasons,
            "allowed_actions": allowed_actions(item.status),
            "audit": [{**asdict(e), "at": e.at.isoformat()} for e in found.audit],
        }
        print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    print(f"item {args.id} [{item.status}] playbook {item.playbook}, priority {item.priority:.1f}")
    if q:
        print(
            f"{q.platform} @{for_terminal(q.author)} ({reach(q.author_followers)} followers), "
            f"{q.created_at.isoformat()}"
        )
        print(
            f"{for_terminal(q.url)}{'  [demo]' if q.is_demo else ''}\n\n{for_terminal(q.text, text=True)}\n"
        )
        print(
            "scores: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(q.scores.items(), key=lambda kv: -kv[1]))
        )
    due = item.sla_due_at
    print(f"SLA due {due.isoformat(timespec='minutes')}" + ("  ** BREACHED **" if breached else ""))
    print(f"assignee: {for_terminal(item.assignee) or '-'}; decision: {item.decision or '-'}")
    print("why: " + for_terminal("; ".join(item.reasons)))
    if playbook:
        print(f"\nplaybook: {playbook.title.en} / {playbook.title.he} (owner: {playbook.owner})")
        for n, step in enumerate(playbook.steps, 1):
            print(f"  [{n}] {step}")
    if q:
        draft, lang = draft_for(q, library)
        print(
            f"\ndraft reply ({lang}): {for_terminal(draft, text=True)}"
            if draft
            else "\n(no public reply for this playbook)"
        )
    print(f"\nallowed now: {', '.join(allowed_actions(item.status)) or 'nothing'}")
    print("audit trail:")
    for e in found.audit:
        detail = for_terminal(json.dumps(e.detail, ensure_ascii=False))
        print(f"  {e.at.isoformat(timespec='seconds')} {for_terminal(e.actor)}: {e.action} {detail}")
    return 0


def render_queue(items: Sequence[QueueItem], now: datetime | None = None) -> str:
    """A readable table of queue items (priority, platform, label, virality, playbook, age vs SLA, ...)."""
    now = now or common.now()
    if not items:
        return "(the queue is empty)"
    header = (
        f"{'id':>5} {'prio':>5} {'plat':<4} {'label':<10} {'viral':>5} {'playbook':<14} "
        f"{'age':>6} {'SLA':>8} {'author':<18} text"
    )
    lines = [header]
    for it in items:
        posted = age((now - it.created_at).total_seconds())
        due = (it.sla_due_at - now).total_seconds()
        sla = ("due " + age(due)) if due >= 0 else ("LATE " + age(-due))
        text = one_line(it.text)
        excerpt = (text[:57] + "...") if len(text) > 60 else text
        # a handle with hidden characters is shown whole, so that its markers cannot be cut off
        handle = f"@{for_terminal(it.author)}"
        author = (handle if flags(it.author) else handle[:12]) + f" {reach(it.author_followers)}"
        demo = " [demo]" if it.is_demo else ""
        lines.append(
            f"{it.id:>5} {it.priority:>5.1f} {it.platform[:4]:<4} {(it.label or '?'):<10} "
            f"{(it.virality or 0):>5.0f} {it.playbook:<14} {posted:>6} {sla:>8} {author:<18} {excerpt}{demo}"
        )
    return "\n".join(lines)


def queue_json(item: QueueItem, library: Library | None = None) -> dict[str, object]:
    """One queue item as `repmon queue --json` prints it (with its draft reply given the playbooks)."""
    from monitor.actions import draft_for

    return {
        "id": item.id,
        "platform": item.platform,
        "external_id": item.external_id,
        "url": item.url,
        "author": item.author,
        "author_followers": item.author_followers,
        "text": item.text,
        "language": item.language,
        "created_at": item.created_at.isoformat(),
        "label": item.label,
        "scores": item.scores,
        "virality": item.virality,
        "forecast_24h": item.forecast_24h,
        "playbook": item.playbook,
        "priority": item.priority,
        "status": item.status,
        "sla_due_at": item.sla_due_at.isoformat(),
        "own_page": item.own_page,
        "demo": item.is_demo,
        "model_version": item.model_version,
        **(dict(zip(("draft", "draft_language"), draft_for(item, library))) if library else {}),
    }


def cmd_queue(args: argparse.Namespace) -> int:
    from playbooks.engine import load_library

    store = common.open_store()
    items = store.queue(include_closed=args.all, limit=args.limit)
    if args.json:
        library = load_library()
        for item in items:
            print(json.dumps(queue_json(item, library), ensure_ascii=False))
    else:
        print(render_queue(items))
    return 0
