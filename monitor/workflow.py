"""The triage workflow as a table of allowed transitions (pure).

```
new -> in_progress -> awaiting_approval -> responded -> resolved -> closed
  \\-> escalated -> legal_review -> decided (no_action | notice_sent | takedown_requested | lawsuit) -> closed
  \\-> dismissed (with a reason)
```
Escalation is possible from any step before a response; dismissal needs a reason. Anything else is
refused with a message that says what is allowed from the item's current state.
"""

from __future__ import annotations

from monitor.errors import MonitorError

DECISIONS = ("no_action", "notice_sent", "takedown_requested", "lawsuit")

# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": (("new",), "in_progress"),
    "submit": (("in_progress",), "awaiting_approval"),
    "respond": (("in_progress", "awaiting_approval"), "responded"),
    "resolve": (("responded",), "resolved"),
    "escalate": (("new", "in_progress", "awaiting_approval", "responded"), "escalated"),
    "review": (("escalated",), "legal_review"),
    "decide": (("legal_review",), "decided"),
    "close": (("resolved", "decided"), "closed"),
    "dismiss": (("new", "in_progress", "awaiting_approval"), "dismissed"),
}
STATES = ("new", "in_progress", "awaiting_approval", "responded", "resolved", "escalated", "legal_review",
          "decided", "closed", "dismissed")  # fmt: skip
# Items still in someone's hands (closed, resolved and dismissed ones are done).
OPEN_STATUSES = (
    "new",
    "in_progress",
    "awaiting_approval",
    "responded",
    "escalated",
    "legal_review",
    "decided",
)
AWAITING_FIRST_RESPONSE = ("new", "in_progress", "awaiting_approval", "escalated", "legal_review")


class WorkflowError(MonitorError):
    """An action that the item's current state does not allow, or that lacks what it needs."""


def allowed_actions(state: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]


def next_state(state: str, action: str, *, decision: str | None = None, reason: str | None = None) -> str:
    """The state ``action`` leads to from ``state``; ``WorkflowError`` if it is not allowed."""
    if action not in TRANSITIONS:
        raise WorkflowError(f"unknown action {action!r}: actions are {', '.join(TRANSITIONS)}")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        allowed = ", ".join(allowed_actions(state)) or "nothing (the item is closed)"
        raise WorkflowError(f"cannot {action} an item that is {state}: allowed from {state}: {allowed}")
    if action == "decide" and decision not in DECISIONS:
        raise WorkflowError(f"a legal decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if action == "dismiss" and not (reason or "").strip():
        raise WorkflowError("dismissing an item needs a reason (--reason)")
    return target
