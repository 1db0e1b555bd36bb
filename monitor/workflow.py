"""The triage workflow: a table of allowed transitions and the rules on drafts, approval, assignment
and corrections (pure), and the thin functions that apply them to a stored item.

```
new -> in_progress -> awaiting_approval -> responded -> resolved -> closed
  \\-> escalated -> legal_review -> decided (no_action | notice_sent | takedown_requested | lawsuit) -> closed
  \\-> dismissed (with a reason)
```
Escalation is possible from any step before a response; dismissal needs a reason. Anything else is
refused with a message that says what is allowed from the item's current state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.errors import WorkflowError as WorkflowError
from monitor.i18n import N_

# The statuses themselves are the stored vocabulary (records); the moves between them are this module's.
from monitor.records import AWAITING_FIRST_RESPONSE as AWAITING_FIRST_RESPONSE
from monitor.records import OPEN_STATUSES as OPEN_STATUSES
from monitor.records import STATES as STATES
from monitor.records import Status

if TYPE_CHECKING:
    from monitor.storage import Store

DECISIONS = ("no_action", "notice_sent", "takedown_requested", "lawsuit")

# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[Status, ...], Status]] = {
    "start": ((Status.NEW,), Status.IN_PROGRESS),
    "submit": ((Status.IN_PROGRESS,), Status.AWAITING_APPROVAL),
    "respond": ((Status.IN_PROGRESS, Status.AWAITING_APPROVAL), Status.RESPONDED),
    "resolve": ((Status.RESPONDED,), Status.RESOLVED),
    "escalate": (
        (Status.NEW, Status.IN_PROGRESS, Status.AWAITING_APPROVAL, Status.RESPONDED),
        Status.ESCALATED,
    ),
    "review": ((Status.ESCALATED,), Status.LEGAL_REVIEW),
    "decide": ((Status.LEGAL_REVIEW,), Status.DECIDED),
    "close": ((Status.RESOLVED, Status.DECIDED), Status.CLOSED),
    "dismiss": ((Status.NEW, Status.IN_PROGRESS, Status.AWAITING_APPROVAL), Status.DISMISSED),
}
# States whose reply may still be drafted (a new item is started by its first draft), and states whose
# items are done and take no assignment.
DRAFTABLE = (Status.NEW, Status.IN_PROGRESS, Status.AWAITING_APPROVAL)
UNASSIGNABLE = (Status.CLOSED, Status.DISMISSED, Status.RESOLVED)


def allowed_actions(state: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]


def next_state(state: str, action: str, *, decision: str | None = None, reason: str | None = None) -> str:
    """The state ``action`` leads to from ``state``; ``WorkflowError`` if it is not allowed."""
    if action not in TRANSITIONS:
        raise WorkflowError(
            N_("unknown action {name!r}: actions are {actions}"), name=action, actions=list(TRANSITIONS)
        )
    sources, target = TRANSITIONS[action]
    if state not in sources:
        allowed = allowed_actions(state)
        if not allowed:
            raise WorkflowError(
                N_(
                    "cannot {action} an item that is {state}: allowed from {state}: "
                    "nothing (the item is closed)"
                ),
                action=action,
                state=state,
            )
        raise WorkflowError(
            N_("cannot {action} an item that is {state}: allowed from {state}: {allowed}"),
            action=action,
            state=state,
            allowed=allowed,
        )
    if action == "decide" and decision not in DECISIONS:
        raise WorkflowError(
            N_("a legal decision must be one of {decisions}, not {value!r}"),
            decisions=list(DECISIONS),
            value=decision,
        )
    if action == "dismiss" and not (reason or "").strip():
        raise WorkflowError(N_("dismissing an item needs a reason (--reason)"))
    return target


def draft_move(item_id: int, state: str) -> tuple[str, str] | None:
    """The move a reply draft makes first from ``state``: (action, new state) for a new item, None
    otherwise; ``WorkflowError`` once the reply can no longer be drafted."""
    if state not in DRAFTABLE:
        raise WorkflowError(
            N_("item {item_id} is {state}: its reply can no longer be drafted"), item_id=item_id, state=state
        )
    return ("start", next_state(state, "start")) if state == Status.NEW else None


def check_approval(item_id: int, state: str, actor: str, editor: str, approvers: Sequence[str]) -> None:
    """Refuse an approval unless the draft was submitted, ``actor`` is an approver (when approvers are
    configured) and ``actor`` is not the draft's own editor."""
    if state != Status.AWAITING_APPROVAL:
        raise WorkflowError(
            N_("item {item_id} is {state}: submit the draft first (`repmon act {item_id} submit`)"),
            item_id=item_id,
            state=state,
        )
    if approvers and actor not in approvers:
        raise WorkflowError(
            N_("{actor} may not approve replies: the approvers are {approvers} (REPMON_APPROVERS)"),
            actor=actor,
            approvers=list(approvers),
        )
    if actor == editor:
        raise WorkflowError(N_("{actor} wrote this draft: another person must approve it"), actor=actor)


def check_assignable(item_id: int, state: str) -> None:
    """Refuse to assign an item that is done."""
    if state in UNASSIGNABLE:
        raise WorkflowError(
            N_("item {item_id} is {state}: it cannot be assigned"), item_id=item_id, state=state
        )


def check_correction(label: str, reason: str) -> None:
    """Refuse a label correction to something that is not a label, or without a reason."""
    from classifiers import LABELS

    if label not in LABELS:
        raise WorkflowError(
            N_("{value!r} is not a label: use one of {labels}"), value=label, labels=list(LABELS)
        )
    if not reason.strip():
        raise WorkflowError(N_("a correction needs a reason (--reason)"))


# -- the rules applied to stored items (inside the store's transaction) ------------------------------


def act(
    store: Store,
    item_id: int,
    action: str,
    actor: str,
    now: datetime,
    *,
    decision: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> str:
    """Move a stored item through the workflow (``next_state``) and audit it; returns the new state."""

    def rule(state: str) -> str:
        return next_state(state, action, decision=decision, reason=reason)

    return store.act(item_id, action, actor, now, rule, decision=decision, reason=reason, note=note)


def save_draft(store: Store, item_id: int, text: str, language: str, actor: str, now: datetime) -> None:
    """Write or edit an item's reply draft (an edit withdraws any approval); a new item is started."""
    store.save_draft(item_id, text, language, actor, now, lambda state: draft_move(item_id, state))


def approve(store: Store, item_id: int, actor: str, approvers: Sequence[str], now: datetime) -> None:
    """Approve a submitted draft: by a configured approver, never by its own editor."""
    store.approve(
        item_id, actor, now, lambda state, editor: check_approval(item_id, state, actor, editor, approvers)
    )


def assign(store: Store, item_id: int, assignee: str, actor: str, now: datetime) -> None:
    """Assign an item that is not done to ``assignee``; audited."""
    store.assign(item_id, assignee, actor, now, lambda state: check_assignable(item_id, state))


def correct(store: Store, item_id: int, label: str, reason: str, actor: str, now: datetime) -> None:
    """Record a person's label for an item (with the reason) and audit it; triage follows it."""
    check_correction(label, reason)
    store.correct(item_id, label, reason, actor, now)
