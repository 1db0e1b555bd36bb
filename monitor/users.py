"""Dashboard users and what each role may do (pure, apart from the argon2 hash).

```
manager  triage the queue: assign, dismiss, drafts, workflow actions, label corrections, "poll now"
legal    review flagged items: legal review, decisions, evidence export (and escalation)
owner    read-only overview, items, sources and playbooks; their own daily-digest settings
```
Every page and every action of the dashboard asks ``can(role, permission)`` before it shows or does
anything; the table below is the single place where that is decided.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from monitor.errors import InputError

ROLES = ("manager", "legal", "owner")

# permission -> roles that hold it
PERMISSIONS: dict[str, tuple[str, ...]] = {
    # pages
    "page:queue": ("manager", "legal"),
    "page:item": ("manager", "legal", "owner"),  # owners read items (digest links) but act on none
    "page:legal": ("legal",),
    "page:overview": ("manager", "legal", "owner"),
    "page:sources": ("manager", "legal", "owner"),
    "page:playbooks": ("manager", "legal", "owner"),
    "page:account": ("manager", "legal", "owner"),
    # actions
    "assign": ("manager",),
    "dismiss": ("manager",),
    "workflow": ("manager",),  # start, submit, respond, resolve, close of a non-legal item
    "draft": ("manager",),
    "approve": ("manager",),
    "correct": ("manager", "legal"),
    "escalate": ("manager", "legal"),
    "legal_review": ("legal",),  # review, decide, close of a decided item
    "evidence": ("legal",),
    "poll_now": ("manager",),
    "digest_settings": ("owner",),
}
# workflow action -> the permission it needs ("close" depends on the state: see action_permission)
ACTION_PERMISSION = {
    "start": "workflow",
    "submit": "workflow",
    "respond": "workflow",
    "resolve": "workflow",
    "escalate": "escalate",
    "review": "legal_review",
    "decide": "legal_review",
    "dismiss": "dismiss",
}
_NAME = re.compile(r"^[\w.@-]{2,100}$")
_hasher = PasswordHasher()


def can(role: str | None, permission: str) -> bool:
    """Whether a role holds a permission; unknown roles and permissions hold nothing."""
    return role in PERMISSIONS.get(permission, ())


def action_permission(action: str, state: str) -> str:
    """The permission a workflow action needs from an item's state: closing a decided item is legal's."""
    if action == "close":
        return "legal_review" if state == "decided" else "workflow"
    return ACTION_PERMISSION.get(action, "workflow")


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InputError(f"user name {name!r}: use 2-100 letters, digits, '.', '_', '-' or '@' (no spaces)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def hash_password(password: str) -> str:
    """An argon2id hash of a password of at least 8 characters."""
    if len(password) < 8:
        raise InputError("the password is too short: use at least 8 characters")
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
