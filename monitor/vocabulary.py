"""The words repmon stores and compares: labels, queue statuses, platforms and roles, as ``StrEnum``s.

A member is a ``str`` and equals its value (``Status.NEW == "new"``), so the values stored in the database
need no migration and a value read back compares equal to its member. ``Label``'s order is the classifier's
(``classifiers.LABELS``, the source of truth: ``classifiers/`` cannot import ``monitor``); a test keeps
them equal. Re-exported by ``monitor.records``.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """What a post is, as the classifier labels it (in ``classifiers.LABELS``' order)."""

    PRAISE = "praise"
    NEUTRAL = "neutral"
    COMPLAINT = "complaint"
    DEFAMATION = "defamation"
    BOYCOTT = "boycott"


class Status(StrEnum):
    """Every status a queue item can have (which action leads to which: ``monitor.workflow``)."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    RESPONDED = "responded"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    LEGAL_REVIEW = "legal_review"
    DECIDED = "decided"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class Platform(StrEnum):
    """Where a post comes from (the demo's posts are stored as X or Facebook posts)."""

    X = "x"
    FACEBOOK = "facebook"
    DEMO = "demo"


class Role(StrEnum):
    """A dashboard user's role (what each may do: ``monitor.users``)."""

    MANAGER = "manager"
    LEGAL = "legal"
    OWNER = "owner"
