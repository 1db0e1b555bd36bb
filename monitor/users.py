"""Users, names and what each role may do (pure, apart from the argon2 hash).

```
manager  triage the queue: assign, dismiss, drafts, workflow actions, label corrections, "poll now"
legal    review flagged items: legal review, decisions, evidence export (and escalation)
owner    read-only overview, items, sources and playbooks; their own daily-digest settings
```
Every page and every action of the dashboard, and every `repmon` command that acts as a user
(``--by``), asks ``can(role, permission)``; the table below is the single place where that is decided,
and ``monitor.actions.authorize`` the single place that applies it to a named user.

The monitor's own actions (adding users at the shell, sign-in lockouts) are recorded under system actor
names that start with ``repmon:``, which no user name can (``check_name`` refuses the colon).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from monitor.errors import AccessDenied, InputError, OneOf
from monitor.i18n import N_

# The actor names and the failure counts are records (storage writes them); users name them from here too.
from monitor.records import ADMIN_ACTOR as ADMIN_ACTOR
from monitor.records import SIGN_IN_ACTOR as SIGN_IN_ACTOR
from monitor.records import Failures, Role, Status

ROLES: tuple[Role, ...] = tuple(Role)


# permission -> roles that hold it
PERMISSIONS: dict[str, tuple[Role, ...]] = {
    # pages
    "page:queue": (Role.MANAGER, Role.LEGAL),
    "page:item": (Role.MANAGER, Role.LEGAL, Role.OWNER),  # owners read items (digest links) but act on none
    "page:legal": (Role.LEGAL,),
    "page:overview": (Role.MANAGER, Role.LEGAL, Role.OWNER),
    "page:sources": (Role.MANAGER, Role.LEGAL, Role.OWNER),
    "page:playbooks": (Role.MANAGER, Role.LEGAL, Role.OWNER),
    "page:account": (Role.MANAGER, Role.LEGAL, Role.OWNER),
    # actions
    "assign": (Role.MANAGER,),
    "dismiss": (Role.MANAGER,),
    "workflow": (Role.MANAGER,),  # start, submit, respond, resolve, close of a non-legal item
    "draft": (Role.MANAGER,),
    "approve": (Role.MANAGER,),
    "correct": (Role.MANAGER, Role.LEGAL),
    "escalate": (Role.MANAGER, Role.LEGAL),
    "legal_review": (Role.LEGAL,),  # review, decide, close of a decided item
    "evidence": (Role.LEGAL,),
    "poll_now": (Role.MANAGER,),
    "digest_settings": (Role.OWNER,),
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
_NAME = re.compile(r"[\w.@-]{2,100}")
_hasher = PasswordHasher()
# A hash of the same cost as every stored one: an unknown user's sign-in is checked against it, so it
# takes as long as a wrong password for a real user and the time tells nobody which users exist.
_DUMMY_HASH = _hasher.hash("repmon: no such user, never a password")

# Letters that look like Latin ones (Cyrillic, Greek) and digits that pass for letters, for skeleton().
_HOMOGLYPHS = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
        "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y",
        "х": "x", "ԝ": "w", "ь": "b", "г": "r", "п": "n", "ӏ": "l",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "μ": "u", "ς": "c", "σ": "o",
        # digits and Latin look-alikes
        "0": "o", "1": "l", "ı": "i", "ſ": "s",
    }
)  # fmt: skip


@dataclass(frozen=True)
class User:
    """A person who acts: their name and role (the password hash stays in the store)."""

    name: str
    role: str


def can(role: str | None, permission: str) -> bool:
    """Whether a role holds a permission; unknown roles and permissions hold nothing."""
    return role in PERMISSIONS.get(permission, ())


def require_permission(user: User, permission: str) -> User:
    """``user`` if their role holds ``permission``; otherwise ``AccessDenied`` saying who may."""
    if not can(user.role, permission):
        holders = OneOf(PERMISSIONS.get(permission, ()))
        if not holders:
            raise AccessDenied(
                N_("{name} ({role}) may not do this ({permission}): it needs the role nobody"),
                name=user.name,
                role=user.role,
                permission=permission,
            )
        raise AccessDenied(
            N_("{name} ({role}) may not do this ({permission}): it needs the role {holders}"),
            name=user.name,
            role=user.role,
            permission=permission,
            holders=holders,
        )
    return user


def action_permission(action: str, state: str) -> str:
    """The permission a workflow action needs from an item's state: closing a decided item is legal's."""
    if action == "close":
        return "legal_review" if state == Status.DECIDED else "workflow"
    return ACTION_PERMISSION.get(action, "workflow")


def check_name(name: str) -> str:
    """A user name as it is stored and compared: NFKC-normalised, 2-100 letters, digits, '.', '_', '-'
    or '@'. Control and format characters (a newline, a bidi mark), surrounding spaces and system names
    (``repmon:...``) are refused with the reason, never silently stripped into another user's name."""
    if not isinstance(name, str) or not name:
        raise InputError(
            N_("the user name is empty: give a name of 2-100 letters, digits, '.', '_', '-' or '@'")
        )
    for position, ch in enumerate(name, 1):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise InputError(
                N_(
                    "user name {name!r} contains the invisible or control character {character} "
                    "at position {position}: type the name without it"
                ),
                name=name,
                character=f"U+{ord(ch):04X}",
                position=position,
            )
    if name != name.strip():
        raise InputError(
            N_("user name {name!r} starts or ends with a space: type the name without it"), name=name
        )
    if name.lower().startswith("repmon:"):
        raise InputError(
            N_("user name {name!r}: names starting with 'repmon:' are the monitor's own"), name=name
        )
    normal = unicodedata.normalize("NFKC", name)
    if not _NAME.fullmatch(normal):
        raise InputError(
            N_("user name {name!r}: use 2-100 letters, digits, '.', '_', '-' or '@' (no spaces)"), name=name
        )
    return normal


def skeleton(name: str) -> str:
    """What a name looks like, for finding look-alikes: case-folded, NFKC, accents and other combining
    marks dropped, Cyrillic and Greek letters that look Latin (and 0, 1) mapped to the Latin letter."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", bare.translate(_HOMOGLYPHS)).replace("rn", "m")


def look_alike(name: str, existing: list[str]) -> str | None:
    """The existing name (other than ``name`` itself) that looks like ``name``, if any."""
    target = skeleton(name)
    return next((other for other in existing if other != name and skeleton(other) == target), None)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(N_("role {value!r} is not one of {roles}"), value=role, roles=list(ROLES))
    return role


def hash_password(password: str) -> str:
    """An argon2id hash of a password of at least 8 characters."""
    if len(password) < 8:
        raise InputError(N_("the password is too short: use at least 8 characters"))
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``. With no hash (an unknown or disabled user) the
    password is checked against a dummy hash of the same cost, and the answer is False: both paths
    take the same time."""
    try:
        matched = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


# -- sign-in throttling (pure: the store keeps the counts) -------------------------------------------

FREE_FAILURES = 5  # failures before any delay
MAX_DELAY = timedelta(minutes=15)
LOCKOUT_FAILURES = 20  # failures that lock a user name
LOCKOUT = timedelta(hours=1)  # how long a lockout lasts (an administrator may lift it sooner)
FORGET_AFTER = timedelta(hours=1)  # a count with no failure for this long starts again


def current(f: Failures, now: datetime) -> Failures:
    """``f`` as it stands at ``now``: a count with no failure for FORGET_AFTER, and an expired
    lockout, start again from zero."""
    if f.locked_until is not None:
        return f if now < f.locked_until else Failures()
    if f.last_at is not None and now - f.last_at >= FORGET_AFTER:
        return Failures()
    return f


def retry_at(f: Failures, now: datetime) -> datetime | None:
    """When the next sign-in may be tried, or None if now: after FREE_FAILURES failures, a delay of
    2^(n - FREE_FAILURES) seconds after the last failure, up to MAX_DELAY; until a lockout ends."""
    f = current(f, now)
    if f.locked_until is not None:
        return f.locked_until
    if f.count < FREE_FAILURES or f.last_at is None:
        return None
    delay = timedelta(seconds=2 ** min(f.count - FREE_FAILURES, 20))
    at = f.last_at + min(delay, MAX_DELAY)
    return at if at > now else None


def after_failure(f: Failures, now: datetime, *, lockable: bool) -> Failures:
    """The count after one more failure at ``now``; a lockable count (a user name) locks at
    LOCKOUT_FAILURES."""
    f = current(f, now)
    count = f.count + 1
    locked = now + LOCKOUT if lockable and count >= LOCKOUT_FAILURES else None
    return Failures(count, now, locked)
