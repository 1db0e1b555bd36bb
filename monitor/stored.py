"""What storage returns: frozen records of stored rows (never the ORM rows themselves, which belong to
their session). The records parts pass to each other are in ``monitor/records.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict


@dataclass(frozen=True)
class SourceState:
    """A source's cursor and health, as stored."""

    name: str
    cursor: dict[str, object]
    status: str
    last_error: str | None
    last_success_at: datetime | None
    reset_at: datetime | None
    poll_requested_at: datetime | None = None
    poll_requested_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SavedPage:
    """What storing one page added."""

    new_mentions: int
    new_snapshots: int


@dataclass(frozen=True)
class EditVerdict:
    """The classifier's verdict on an edited version of a post's text (by the model triage runs on)."""

    edit_id: int
    label: str
    scores: dict[str, float]
    language: str | None


@dataclass(frozen=True)
class TriageCandidate:
    """A classified mention that needs a (re)triage, with what triage decides on: the first text's
    label (a person's correction, ``corrected``, winning) and scores, and the verdicts on its edited
    versions, oldest first."""

    mention_id: int
    label: str
    scores: dict[str, float]
    language: str | None
    author_followers: int | None
    own_page: bool
    created_at: datetime
    first_seen_at: datetime
    edits: tuple[EditVerdict, ...] = ()
    corrected: bool = False


@dataclass(frozen=True)
class JobRun:
    """One recorded run of a job (a pipeline pass, an import)."""

    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    detail: dict[str, Any]  # what the run reported, as JSON


@dataclass(frozen=True)
class StoredCapture:
    """A later read of a post, byte for byte."""

    captured_at: datetime
    sha256: str
    body: bytes


@dataclass(frozen=True)
class StoredShare:
    """Someone who shared (retweeted) a post, as first seen."""

    sharer_id: str
    handle: str
    name: str
    followers: int | None
    kind: str
    first_seen_at: datetime
    sha256: str


@dataclass(frozen=True)
class ThreadPost:
    """A post of an item's thread; ``this`` marks the item's own post."""

    external_id: str
    author: str
    created_at: datetime
    text: str
    language: str | None
    from_business: bool
    this: bool
    deleted_at: datetime | None


@dataclass(frozen=True)
class PostVersion:
    """A stored version of a post edited on X, where an edit is a new post with a new id: ``this`` marks
    the post asked about, ``item_id`` is its queue item (None: not queued)."""

    external_id: str
    author: str
    url: str
    created_at: datetime
    text: str
    language: str | None
    item_id: int | None
    this: bool
    deleted_at: datetime | None


def newest_other_version(versions: Sequence[PostVersion]) -> PostVersion | None:
    """The newest queued version posted after the one asked about (``this``), if there is one: X shows
    an older version with a link to the newest, so a reply belongs under the newest, where its readers are."""
    this = next((v for v in versions if v.this), None)
    newer = [
        v for v in versions if this is not None and v.created_at > this.created_at and v.item_id is not None
    ]
    return max(newer, key=lambda v: v.created_at) if newer else None


@dataclass(frozen=True)
class TriageItem:
    """A queue item's stored triage fields."""

    id: int
    mention_id: int
    playbook: str
    priority: float
    status: str
    is_open: bool
    sla_due_at: datetime
    virality: float | None
    forecast_24h: float | None
    reasons: list[str]
    assignee: str | None
    decision: str | None
    label: str | None
    language: str | None
    created_at: datetime
    updated_at: datetime
    edit_id: int | None = None  # the edited version it was last triaged on (None: the first text)


@dataclass(frozen=True)
class AuditEntry:
    """One event of an item's audit trail."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, object]
    hash: str


@dataclass(frozen=True)
class ItemDetail:
    """A queue item with its audit trail, oldest event first."""

    item: TriageItem
    audit: list[AuditEntry]


@dataclass(frozen=True)
class Reply:
    """An item's reply: a draft, approved, or sent (with the platform's id of it)."""

    id: int
    item_id: int
    language: str
    text: str
    status: str
    edited_by: str
    approved_by: str | None
    platform_reply_id: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Account:
    """A dashboard user; ``password_hash`` only where a sign-in is checked (None in lists)."""

    id: int
    name: str
    role: str
    password_hash: str | None
    email: str | None
    language: str
    digest: bool
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    """An e-mail owed to a recipient, and its attempts."""

    id: int
    kind: str
    key: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    message_id: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class JobState:
    """A scheduled job's last run and next one."""

    name: str
    last_run_at: datetime | None
    last_status: str | None
    last_detail: str | None
    last_error: str | None
    last_error_at: datetime | None
    next_run_at: datetime | None
    runs: int
    errors: int


@dataclass(frozen=True)
class OpenMention:
    """A post with an open item, not deleted, with its latest counters (None before any snapshot) and
    the ones before them."""

    external_id: str
    created_at: datetime
    parent_id: str | None
    playbook: str
    last_at: datetime | None
    engagement: int | None
    previous: int | None


@dataclass(frozen=True)
class StoreCounts:
    """How much is stored."""

    mentions: int
    demo_mentions: int
    snapshots: int
    classifications: int
    triage_items: int
    open_items: int


# The evidence bundle's content (``Store.evidence``) is a document, not a record: it is written out as
# JSON, so its parts are typed mappings. Times are ISO 8601 text; the item and its audit trail are the
# records' fields (``dataclasses.asdict`` of ``TriageItem`` and ``AuditEntry``).


class EvidencePost(TypedDict):
    """A stored post of the item's thread, or a quote of it."""

    platform: str
    external_id: str
    url: str
    author: str
    author_name: str
    author_followers: int | None
    created_at: str
    parent_id: str | None
    text: str
    deleted_at: str | None


class EvidenceVersion(EvidencePost):
    """Another stored version of the item's post edited on X (a post with its own id), with its queue
    item (None: not queued)."""

    item_id: int | None


class EvidenceMention(EvidencePost):
    """The item's own post, with where and when it was first read."""

    source: str
    own_page: bool
    is_demo: bool
    first_seen_at: str


class EvidenceRaw(TypedDict):
    """The post's exact bytes as first read."""

    body: bytes
    sha256: str
    captured_at: str
    content_type: str


class EvidenceClassification(TypedDict):
    """The post's latest classification."""

    label: str
    scores: dict[str, float]
    model_version: str


class EvidenceSnapshot(TypedDict):
    """One read of the post's counters."""

    at: str
    likes: int
    shares: int
    replies: int
    quotes: int
    views: int | None


class EvidenceShare(TypedDict):
    """Someone who shared the post."""

    sharer_id: str
    handle: str
    name: str
    followers: int | None
    kind: str
    first_seen_at: str
    sha256: str


class EvidenceCapture(TypedDict):
    """A later read of the post, byte for byte."""

    captured_at: str
    sha256: str
    body: bytes


class EvidenceEdit(TypedDict):
    """A version of the post's text edited on the platform, with its latest classification."""

    id: int
    captured_at: str
    version_key: str
    text: str
    classification: EvidenceClassification | None


class EvidenceDocument(TypedDict):
    """Everything stored about one item, for the evidence bundle."""

    item: dict[str, Any]
    audit: list[dict[str, Any]]
    mention: EvidenceMention
    raw: EvidenceRaw | None
    classification: EvidenceClassification | None
    snapshots: list[EvidenceSnapshot]
    thread: list[EvidencePost]
    shares: list[EvidenceShare]
    quotes: list[EvidencePost]
    captures: list[EvidenceCapture]
    edits: list[EvidenceEdit]
    versions: list[EvidenceVersion]
