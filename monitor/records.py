"""The records parts of repmon pass to each other: small, frozen, timezone-aware.

Vendor payloads become records at the edge (``monitor/sources/*``); the raw payload travels beside the
record, byte for byte, because evidence needs it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from classifiers.virality import MetricSnapshot, Virality
from monitor.vocabulary import Label as Label
from monitor.vocabulary import Platform as Platform
from monitor.vocabulary import Role as Role
from monitor.vocabulary import Status as Status

__all__ = [
    "Capture",
    "Mention",
    "MentionMetrics",
    "MetricSnapshot",
    "PostEdit",
    "QueueItem",
    "RawPayload",
    "Share",
    "SkippedItem",
    "SourcePage",
    "TriageDecision",
    "Virality",
    "mention_problems",
    "skipped_item",
    "valid_text",
]

PLATFORMS = (Platform.X, Platform.FACEBOOK)  # what a stored mention's platform can be
# A post whose author the platform did not send (X's default fields; Graph without moderation rights).
UNKNOWN_AUTHOR = "unknown"
UNKNOWN_AUTHOR_NAME = "(unknown author)"
MAX_FOLLOWERS = 2_000_000_000
MAX_TEXT = 100_000
# What no database, e-mail or page can hold as text: NUL (PostgreSQL refuses it) and lone surrogates (a
# JSON "\ud800" escape decodes to one; no UTF-8 encoder writes it).
_INVALID_TEXT = re.compile("[\x00\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with each NUL and lone surrogate replaced by U+FFFD, so every encoder can write it.

    The rule for text leaving a record for the database (``Store``) or a message: the raw payload keeps
    the exact bytes, the text columns hold what can be shown.
    """
    return _INVALID_TEXT.sub("\ufffd", text)


@dataclass(frozen=True)
class RawPayload:
    """The bytes a platform sent for a post, as received, and when they were captured."""

    body: bytes
    captured_at: datetime
    content_type: str = "application/json"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class Mention:
    """A post or comment about the business, from one platform."""

    platform: str
    external_id: str
    url: str
    author_id: str
    author_handle: str
    author_name: str
    author_followers: int | None
    text: str
    language: str | None
    created_at: datetime
    raw: RawPayload
    source: str
    thread_id: str | None = None
    parent_id: str | None = None
    own_page: bool = False
    is_demo: bool = False
    from_business: bool = False  # the business's own post or reply: thread context, never queued
    quoted_id: str | None = None  # the post it quotes (X), if any: who quoted a post is evidence
    edit_of: str | None = None  # the first version of the post it is an edit of (X: a new id), if any


@dataclass(frozen=True)
class MentionMetrics:
    """A metric snapshot for a post known by its platform id."""

    platform: str
    external_id: str
    snapshot: MetricSnapshot


@dataclass(frozen=True)
class Share:
    """Someone who shared (retweeted) a post: sharing a defamatory post is publication too."""

    platform: str
    external_id: str  # the shared post
    sharer_id: str
    sharer_handle: str
    sharer_name: str
    sharer_followers: int | None
    kind: str  # "retweet"
    raw: RawPayload


@dataclass(frozen=True)
class Capture:
    """A later read of a stored post (e.g. a metric refresh), kept byte for byte as evidence."""

    platform: str
    external_id: str
    raw: RawPayload


@dataclass(frozen=True)
class Gone:
    """A post or comment the platform no longer serves (deleted, or hidden by the Page): it is marked
    deleted with the page that found it gone; its evidence stays."""

    platform: str
    external_id: str


@dataclass(frozen=True)
class SkippedItem:
    """An item of a platform response that was not stored, and why: reported, never dropped silently.

    ``index`` counts from 1 in its list (``within`` names the post whose embedded list it is);
    ``external_id`` is the item's id when it has a usable one. Both texts are valid text (``valid_text``).
    """

    kind: str  # "tweet", "post", "comment", "item"
    index: int | None
    external_id: str | None
    reason: str
    within: str | None = None

    @property
    def item(self) -> str:
        """E.g. "tweet #3 (id 1860000000000000003)" or "comment #2 of post 1_2"."""
        where = f"{self.kind} #{self.index}" if self.index is not None else self.kind
        if self.external_id:
            where += f" (id {self.external_id})"
        return f"{where} of {self.within}" if self.within else where

    def __str__(self) -> str:
        return f"skipped {self.item}: {self.reason}"


def skipped_item(
    kind: str, index: int | None, external_id: object, reason: str, within: str | None = None
) -> SkippedItem:
    """A ``SkippedItem`` whose id (only a non-empty string counts) and texts can be printed anywhere."""
    usable = external_id if isinstance(external_id, str) and external_id.strip() else None
    return SkippedItem(
        kind,
        index,
        valid_text(usable[:200]) if usable else None,
        valid_text(reason),
        valid_text(within) if within else None,
    )


@dataclass(frozen=True)
class SourcePage:
    """One page from a source: its mentions, metric snapshots, shares, and the cursor to save with them.

    ``skipped`` lists the items of the page that could not be made into records (the pass reports them);
    ``deleted`` the stored posts a metrics refresh found gone, marked deleted in the page's transaction.
    """

    mentions: tuple[Mention, ...]
    metrics: tuple[MentionMetrics, ...] = ()
    cursor: dict[str, object] = field(default_factory=dict)
    shares: tuple[Share, ...] = ()
    captures: tuple[Capture, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()
    deleted: tuple[Gone, ...] = ()


@dataclass(frozen=True)
class TriageDecision:
    """What to do about a mention: which playbook, how urgent (0-100), and by when."""

    playbook: str
    priority: float
    sla_due_at: datetime
    reasons: tuple[str, ...] = ()
    label: str | None = None  # the label the decision was made on (a person's correction wins)
    language: str | None = None
    edit_id: int | None = None  # the edited version of the post it was made on (None: the first text)


# The largest item id: triage_items.id is an Integer column, 32-bit in PostgreSQL (SQLite's is 64-bit); a
# larger number would reach the driver as an overflow ("integer out of range") instead of "no such item".
MAX_ITEM_ID = 2**31 - 1


def parse_item_id(value: object) -> int | None:
    """An item id given as text (command line, ``?id=`` in a link) as an int, or None when it is not a
    whole number from 1 to ``MAX_ITEM_ID`` (no item can have it)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ITEM_ID else None


@dataclass(frozen=True)
class PostEdit:
    """A version of a post's text edited on the platform (``monitor.edits``), with its latest
    classification (``label`` None: not classified yet)."""

    id: int
    captured_at: datetime  # when the capture it was read from was made
    text: str
    version_key: str  # ``monitor.edits.version_key``: the same for every capture holding these words
    label: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    language: str | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class QueueItem:
    """One row of the triage queue, joined from the mention, its classification and triage. ``label``,
    ``scores`` and ``model_version`` are those of the version the item was triaged on: ``edit``, an edit
    made on the platform, or (``edit`` None) the text as first captured."""

    id: int
    platform: str
    external_id: str
    url: str
    author: str
    author_followers: int | None
    text: str
    language: str | None
    created_at: datetime
    label: str | None
    scores: dict[str, float]
    virality: float | None
    forecast_24h: float | None
    playbook: str
    priority: float
    status: str
    sla_due_at: datetime
    own_page: bool
    is_demo: bool
    model_version: str | None
    assignee: str | None = None
    deleted_at: datetime | None = None
    edit: PostEdit | None = None

    @property
    def followed_text(self) -> str:
        """The text the label and triage are of: the edit the item follows, else the text as first
        captured. Lists that show one line of a post show this one, marked as edited."""
        return self.edit.text if self.edit else self.text


@dataclass(frozen=True)
class QueueFilter:
    """Which queue items to show. Empty tuples and None mean "any"; ``statuses`` empty means open ones.

    ``search`` matches the post's text or its author's handle or name, ignoring case. ``since`` and
    ``until`` bound the post's creation time. ``own_page`` True keeps posts on the business's own page,
    False keeps posts elsewhere.
    """

    platforms: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    assignee: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    own_page: bool | None = None
    search: str = ""
    include_closed: bool = False
    playbooks: tuple[str, ...] = ()
    legal: LegalScope | None = None  # only items for legal (``monitor.triage.LEGAL_SCOPE``)
    min_virality: float | None = None


UNASSIGNED = "(unassigned)"


def mention_problems(m: Mention, now: datetime) -> list[str]:
    """What is wrong with a mention, if anything; an empty list means it can be stored."""
    problems = []
    if m.platform not in PLATFORMS:
        problems.append(f"platform {m.platform!r} is not one of {', '.join(PLATFORMS)}")
    if not isinstance(m.external_id, str) or not m.external_id.strip() or len(m.external_id) > 200:
        problems.append("external_id is missing or longer than 200 characters")
    elif _INVALID_TEXT.search(m.external_id):  # an id is matched exactly: it is refused, never changed
        problems.append("external_id holds a NUL or a lone surrogate")
    if m.language is not None and (not isinstance(m.language, str) or len(m.language) > 10):
        problems.append(f"language {m.language!r} is not a language code")
    for name in ("thread_id", "parent_id", "author_id", "author_handle"):
        value = getattr(m, name)
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            problems.append(f"{name} is not text of at most 200 characters")
    if not isinstance(m.text, str):
        problems.append("text is not a string")
    elif len(m.text) > MAX_TEXT:
        problems.append(f"text is longer than {MAX_TEXT:,} characters")
    if not isinstance(m.created_at, datetime) or m.created_at.tzinfo is None:
        problems.append("created_at is missing or has no timezone")
    elif m.created_at > now + timedelta(days=1):
        problems.append(f"created_at {m.created_at.isoformat()} is in the future")
    elif m.created_at.year < 2006:
        problems.append(f"created_at {m.created_at.isoformat()} is before social media existed")
    f = m.author_followers
    if f is not None and (not isinstance(f, int) or f < 0 or f > MAX_FOLLOWERS):
        problems.append(f"author_followers {f!r} is not a count between 0 and {MAX_FOLLOWERS:,}")
    if not isinstance(m.raw, RawPayload) or not isinstance(m.raw.body, bytes):
        problems.append("raw payload is missing")
    return problems


# -- what storage returns and the vocabulary it stores ------------------------------------------------

# Every status a queue item can have.
STATES: tuple[Status, ...] = tuple(Status)
# Item statuses still in someone's hands (closed, resolved and dismissed ones are done): the meaning of
# the stored ``is_open`` column. Which action leads to which status is ``monitor.workflow``'s business.
OPEN_STATUSES = (
    Status.NEW,
    Status.IN_PROGRESS,
    Status.AWAITING_APPROVAL,
    Status.RESPONDED,
    Status.ESCALATED,
    Status.LEGAL_REVIEW,
    Status.DECIDED,
)

# Item statuses before the first response (their SLA clock is running).
AWAITING_FIRST_RESPONSE = (
    Status.NEW,
    Status.IN_PROGRESS,
    Status.AWAITING_APPROVAL,
    Status.ESCALATED,
    Status.LEGAL_REVIEW,
)

# The monitor acting by itself, never a person: no user name can take these (``users.check_name``
# refuses ':').
ADMIN_ACTOR = "repmon:admin"  # a shell command run with access to the database (`repmon user add`)
SIGN_IN_ACTOR = "repmon:sign-in"  # the dashboard's sign-in throttle (lockouts)


@dataclass(frozen=True)
class Failures:
    """The failed sign-ins counted against one user name or one client address."""

    count: int = 0
    last_at: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class LegalScope:
    """What makes a queue item legal's business (``monitor.triage.LEGAL_SCOPE``): a legal playbook, a
    legal label, or a status on the legal path."""

    playbooks: tuple[str, ...]
    labels: tuple[str, ...]
    statuses: tuple[str, ...]
