"""The one storage API: a ``Store`` over the database (``database.py``: engine, sessions, migrations,
error translation) that composes one repository per concept:

```
ingest           a source's page: mentions, snapshots, shares, captures, cursor (one transaction)
mentions         reads of stored posts: metric history, captures, shares, payloads, threads, deletions,
                 versions edited on X
sources          source state, "poll now", the poller's lock
classifications  unclassified mentions, predictions, corrections
edits            versions of posts' texts edited on the platform (read from captures), their predictions
queue            triage items (created, re-scored) and the filtered queue
items            audited changes to one item: workflow moves, assignment, corrections, drafts, approval
evidence         everything stored about an item, for the evidence bundle
chain            the audit chain: append, head, verify
accounts         users, digest settings, the sign-in throttle
deliveries       e-mails owed and sent
jobs             scheduled jobs, pass records, counts
```

Each repository is reachable as ``store.repos.<name>`` and returns records (``monitor/stored.py``); the
store's own methods forward to them, so a caller needs one object. Every read returns records or plain
values, never a mapping standing in for a record; the one document is ``evidence`` (the evidence bundle's
JSON, typed as ``stored.EvidenceDocument``).

Storage holds no policy: a method that needs a rule (``monitor.workflow``, ``monitor.users``) receives
it. Writes are idempotent on ``(platform, external_id)``; a source page's
mentions, snapshots and cursor are committed in one transaction, so a crash never loses or repeats work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from monitor.storage.accounts import Accounts
from monitor.storage.chain import AuditChain
from monitor.storage.classifications import Classifications
from monitor.storage.database import (
    BUSY_TIMEOUT_S,
    MIGRATION_LOCK_ID,
    MIGRATIONS,
    Database,
    _storage_kind,
    database_url,
)
from monitor.storage.deliveries import Deliveries
from monitor.storage.edits import Edits
from monitor.storage.evidence import Evidence
from monitor.storage.ingest import Ingest
from monitor.storage.items import Items
from monitor.storage.jobs import Jobs
from monitor.storage.mentions import Mentions
from monitor.storage.outbox import OutboxRepository
from monitor.storage.queue import Queue
from monitor.storage.sources import Sources
from monitor.stored import SavedPage, SourceState

__all__ = [
    "BUSY_TIMEOUT_S",
    "MIGRATIONS",
    "MIGRATION_LOCK_ID",
    "Repositories",
    "SavedPage",
    "SourceState",
    "Store",
    "_storage_kind",
    "database_url",
]

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Repositories:
    """The store's repositories, one per concept."""

    chain: AuditChain
    ingest: Ingest
    mentions: Mentions
    sources: Sources
    classifications: Classifications
    edits: Edits
    queue: Queue
    items: Items
    evidence: Evidence
    accounts: Accounts
    deliveries: Deliveries
    jobs: Jobs
    outbox: OutboxRepository


def _forward(repo: str, method: Callable[Concatenate[Any, P], T]) -> Callable[Concatenate[Store, P], T]:
    """A store method that calls ``method`` on the repository ``store.repos.<repo>``."""
    name = method.__name__

    def forwarded(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return getattr(getattr(self.repos, repo), name)(*args, **kwargs)

    forwarded.__name__ = forwarded.__qualname__ = name
    forwarded.__doc__ = method.__doc__
    return forwarded


class Store(Database):
    """Everything the rest of repmon reads from or writes to the database goes through here."""

    def __init__(
        self, url: str, data_dir: str | Path | None = None, *, key_file: str | Path | None = None
    ) -> None:
        """The audit chain's checkpoint and (unless ``key_file`` names another file) its key live in
        the SQLite database's folder, or in ``data_dir`` for another database (with neither, the key
        lives in memory only)."""
        super().__init__(url, data_dir, key_file=key_file)
        chain = AuditChain(self)
        mentions, items, edits = Mentions(self), Items(self, chain), Edits(self, chain)
        self.repos = Repositories(
            chain=chain,
            ingest=Ingest(self, chain),
            mentions=mentions,
            sources=Sources(self, chain),
            classifications=Classifications(self, chain),
            edits=edits,
            queue=Queue(self, chain),
            items=items,
            evidence=Evidence(self, items, mentions, edits),
            accounts=Accounts(self, chain),
            deliveries=Deliveries(self),
            jobs=Jobs(self),
            outbox=OutboxRepository(self, chain),
        )

    @classmethod
    def open(
        cls,
        data_dir: str | Path = "data",
        url: str | None = None,
        *,
        migrate: bool = True,
        key_file: str | Path | None = None,
    ) -> Store:
        """Open (and by default create or migrate) the configured database. The audit key is
        ``key_file`` (the caller's REPMON_AUDIT_KEY_FILE: ``current().audit_key_file``), else ``audit.key``
        in ``data_dir``; the store never reads the environment."""
        store = cls(database_url(data_dir, url), data_dir, key_file=key_file)
        if migrate:
            store.migrate()
        return store

    @property
    def outbox(self) -> OutboxRepository:
        """The reply outbox (``monitor/storage/outbox.py``)."""
        return self.repos.outbox

    # ingest and stored posts
    save_page = _forward("ingest", Ingest.save_page)
    mark_deleted = _forward("ingest", Ingest.mark_deleted)
    captures = _forward("mentions", Mentions.captures)
    shares = _forward("mentions", Mentions.shares)
    snapshots = _forward("mentions", Mentions.snapshots)
    sharer_followers = _forward("mentions", Mentions.sharer_followers)
    thread = _forward("mentions", Mentions.thread)
    versions = _forward("mentions", Mentions.versions)
    deleted_at = _forward("mentions", Mentions.deleted_at)
    business_posts = _forward("mentions", Mentions.business_posts)
    raw_payload = _forward("mentions", Mentions.raw_payload)
    open_mentions = _forward("mentions", Mentions.open_mentions)
    # sources
    source_state = _forward("sources", Sources.source_state)
    sources = _forward("sources", Sources.sources)
    source_lock = _forward("sources", Sources.source_lock)
    request_poll = _forward("sources", Sources.request_poll)
    mark_source = _forward("sources", Sources.mark_source)
    # classifications
    unclassified = _forward("classifications", Classifications.unclassified)
    save_classifications = _forward("classifications", Classifications.save_classifications)
    classify_claimed = _forward("classifications", Classifications.classify_claimed)
    model_version_of = _forward("classifications", Classifications.model_version_of)
    corrections = _forward("classifications", Classifications.corrections)
    # edits made on the platform
    read_captures = _forward("edits", Edits.read_captures)
    unclassified_edits = _forward("edits", Edits.unclassified_edits)
    save_edit_classifications = _forward("edits", Edits.save_edit_classifications)
    classify_claimed_edits = _forward("edits", Edits.classify_claimed_edits)
    edits = _forward("edits", Edits.edits)
    # the queue
    triage_candidates = _forward("queue", Queue.triage_candidates)
    save_triage = _forward("queue", Queue.save_triage)
    queue_item = _forward("queue", Queue.queue_item)
    queue = _forward("queue", Queue.queue)
    queue_count = _forward("queue", Queue.queue_count)
    mention_id_of = _forward("queue", Queue.mention_id_of)
    assignees = _forward("queue", Queue.assignees)
    # one item (the rules come from monitor.workflow)
    act = _forward("items", Items.act)
    assign = _forward("items", Items.assign)
    correct = _forward("items", Items.correct)
    save_draft = _forward("items", Items.save_draft)
    approve = _forward("items", Items.approve)
    mark_reply_sent = _forward("items", Items.mark_reply_sent)
    item = _forward("items", Items.item)
    reply = _forward("items", Items.reply)
    evidence = _forward("evidence", Evidence.evidence)
    # the audit chain
    audit_head = _forward("chain", AuditChain.head)
    record_event = _forward("chain", AuditChain.record_event)
    verify = _forward("chain", AuditChain.verify)
    # users and the sign-in throttle
    add_user = _forward("accounts", Accounts.add_user)
    set_user_disabled = _forward("accounts", Accounts.set_user_disabled)
    sign_in_failures = _forward("accounts", Accounts.sign_in_failures)
    record_sign_in_failure = _forward("accounts", Accounts.record_sign_in_failure)
    clear_sign_in_failures = _forward("accounts", Accounts.clear_sign_in_failures)
    set_digest_prefs = _forward("accounts", Accounts.set_digest_prefs)
    set_user_language = _forward("accounts", Accounts.set_user_language)
    user = _forward("accounts", Accounts.user)
    users = _forward("accounts", Accounts.users)
    # e-mails and jobs
    delivery_due = _forward("deliveries", Deliveries.delivery_due)
    delivery_result = _forward("deliveries", Deliveries.delivery_result)
    deliveries = _forward("deliveries", Deliveries.deliveries)
    save_job_state = _forward("jobs", Jobs.save_job_state)
    record_job = _forward("jobs", Jobs.record_job)
    last_jobs = _forward("jobs", Jobs.last_jobs)
    job_states = _forward("jobs", Jobs.job_states)
    counts = _forward("jobs", Jobs.counts)
