"""`repmon queue` and `repmon item`: the triage queue as a table or JSON lines, and one item whole."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.cli import common
from monitor.cli.common import (
    Gettext,
    Subparsers,
    key_name,
    label_shown,
    role_name,
    shown_name,
    when,
    with_actor,
)
from monitor.errors import InputError
from monitor.formatting import reach
from monitor.i18n import format_span, gettext_for, ngettext_for
from monitor.records import MAX_ITEM_ID
from monitor.stored import newest_other_version
from monitor.text_safety import flags, for_terminal, json_for_terminal, one_line
from monitor.triage import reason_in

if TYPE_CHECKING:
    from monitor.records import QueueItem
    from playbooks.engine import Library


def add_item(sub: Subparsers, _: Gettext) -> None:
    p = with_actor(
        sub.add_parser("item", help=_("one queue item: the post, scores, playbook steps, audit trail")), _
    )
    p.add_argument("--json", action="store_true", help=_("one line of JSON"))
    p.set_defaults(func=cmd_item)


def add_queue(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("queue", help=_("the triage queue, highest priority first"))
    p.add_argument("--json", action="store_true", help=_("JSON lines, one item per line"))
    p.add_argument("--all", action="store_true", help=_("include closed items"))
    p.add_argument(
        "--limit", type=common.whole_number(1, MAX_ITEM_ID), default=50, help=_("rows to show (default 50)")
    )
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
        print(json_for_terminal(out, default=str))
        return 0
    lang = common.language()
    _, n_ = gettext_for(lang), ngettext_for(lang)
    print(
        _("item {id} [{status}] playbook {playbook}, priority {priority}").format(
            id=args.id,
            status=key_name(item.status, lang),
            playbook=key_name(item.playbook, lang),
            priority=f"{item.priority:.1f}",
        )
    )
    if q:
        print(
            n_(
                "{platform} @{author} ({followers} follower), {created}",
                "{platform} @{author} ({followers} followers), {created}",
                q.author_followers or 0,
            ).format(
                platform=key_name(q.platform, lang),
                author=shown_name(q.author, lang),
                followers=reach(q.author_followers),
                created=q.created_at.isoformat() if lang == "en" else when(q.created_at, lang),
            )
        )
        print(
            f"{for_terminal(q.url)}{'  [demo]' if q.is_demo else ''}\n\n{for_terminal(q.text, text=True)}\n"
        )
        # Edited on X: each version is a post with its own id and item; the others are named here.
        versions = store.versions(q.platform, q.external_id)
        others = [v for v in versions if not v.this]
        if others:
            print(_("Edited on X: other versions of this post"))
            for v in others:
                posted = v.created_at.isoformat() if lang == "en" else when(v.created_at, lang)
                text = for_terminal(v.text, text=True)
                line = (
                    _("Posted {when}, item {id}: {text}").format(when=posted, id=v.item_id, text=text)
                    if v.item_id is not None
                    else _("Posted {when}, not queued: {text}").format(when=posted, text=text)
                )
                print(f"  {line}")
            latest = newest_other_version(versions)
            if latest is not None:
                print(
                    _(
                        "A newer version of this post exists (item #{id}): reply there, where its readers "
                        "see it."
                    ).format(id=latest.item_id)
                )
            print()
        ranked = sorted(q.scores.items(), key=lambda kv: -kv[1])
        print(
            _("scores: {scores}").format(
                scores=", ".join(f"{label_shown(k, lang)} {v:.2f}" for k, v in ranked)
            )
        )
    due = item.sla_due_at
    print(
        _("SLA due {due}").format(due=due.isoformat(timespec="minutes") if lang == "en" else when(due, lang))
        + (_("  ** BREACHED **") if breached else "")
    )
    print(
        _("assignee: {assignee}; decision: {decision}").format(
            assignee=shown_name(item.assignee, lang) if item.assignee else "-",
            decision=item.decision or "-",
        )
    )
    why = "; ".join(reason_in(r, lang) for r in item.reasons)
    print(_("why: {reasons}").format(reasons=for_terminal(why)))
    if playbook:
        print(
            "\n"
            + _("playbook: {english} / {hebrew} (owner: {owner})").format(
                english=playbook.title.en, hebrew=playbook.title.he, owner=role_name(playbook.owner, lang)
            )
        )
        for n, step in enumerate(playbook.steps, 1):
            print(f"  [{n}] {step}")
    if q:
        draft, draft_lang = draft_for(q, library)
        print(
            "\n"
            + (
                _("draft reply ({language}): {draft}").format(
                    language=draft_lang, draft=for_terminal(draft, text=True)
                )
                if draft
                else _("(no public reply for this playbook)")
            )
        )
    allowed = ", ".join(allowed_actions(item.status)) or _("nothing")
    print("\n" + _("allowed now: {actions}").format(actions=allowed))
    print(_("audit trail:"))
    for e in found.audit:
        detail = for_terminal(json.dumps(e.detail, ensure_ascii=False))
        print(f"  {when(e.at, lang)} {shown_name(e.actor, lang)}: {e.action} {detail}")
    return 0


def render_queue(items: Sequence[QueueItem], now: datetime | None = None, lang: str | None = None) -> str:
    """A readable table of queue items (priority, platform, label, virality, playbook, age vs SLA, ...), in
    ``lang`` (default: the CLI's language)."""
    now = now or common.now()
    lang = lang or common.language()
    _ = gettext_for(lang)
    if not items:
        return _("(the queue is empty)")
    cols = [_("id"), _("prio"), _("plat"), _("label"), _("viral"), _("playbook"), _("age"), _("SLA")]
    cols += [_("author"), _("text")]
    widths = (">5", ">5", "<4", "<10", ">5", "<14", ">6", ">8", "<18", "")
    header = " ".join(format(c, w) for c, w in zip(cols, widths, strict=True))
    lines = [header]
    for it in items:
        posted = format_span((now - it.created_at).total_seconds(), lang)
        due = (it.sla_due_at - now).total_seconds()
        sla = (
            _("due {span}").format(span=format_span(due, lang))
            if due >= 0
            else _("LATE {span}").format(span=format_span(-due, lang))
        )
        # cut between markers, never inside one; the version triage follows, marked when it is an edit
        excerpt = (_("(edited) ") if it.edit else "") + one_line(it.followed_text, 60)
        # a handle with hidden characters is shown whole, so that its markers cannot be cut off
        handle = f"@{for_terminal(it.author)}"
        author = (handle if flags(it.author) else handle[:12]) + f" {reach(it.author_followers)}"
        demo = " [demo]" if it.is_demo else ""
        platform = it.platform[:4] if lang == "en" else key_name(it.platform, lang)
        lines.append(
            f"{it.id:>5} {it.priority:>5.1f} {platform:<4} {label_shown(it.label, lang):<10} "
            f"{(it.virality or 0):>5.0f} {key_name(it.playbook, lang):<14} {posted:>6} {sla:>8} "
            f"{author:<18} {excerpt}{demo}"
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
        "edited_text": item.edit.text if item.edit else None,
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
            print(json_for_terminal(queue_json(item, library)))
    else:
        print(render_queue(items))
    return 0
