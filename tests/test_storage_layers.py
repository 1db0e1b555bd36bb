"""Storage only stores: it imports no policy, returns records and plain values (never ORM rows), and
finds every quote of a post by the index, page by page, with no cap."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from conftest import NOW
from sqlalchemy.orm import DeclarativeBase

from classifiers.virality import MetricSnapshot
from monitor import workflow
from monitor.edits import read_edit
from monitor.pipeline import run_pass
from monitor.records import Capture, MentionMetrics, QueueFilter, RawPayload, Share
from monitor.storage import Store, evidence
from monitor.stored import EvidenceDocument, EvidenceMention, TriageItem
from monitor.triage import LEGAL_SCOPE
from monitor.users import after_failure

STORAGE = Path(__file__).resolve().parent.parent / "monitor" / "storage"
POLICY = ("monitor.workflow", "monitor.triage", "monitor.users")


def _modules() -> list[Path]:
    return sorted(STORAGE.glob("*.py"))


def _policy_imports(source: str, name: str) -> list[str]:
    """Each import of a policy module (or of something in one) in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found += [
            f"{name}:{node.lineno} imports {n}"
            for n in names
            if any(n == p or n.startswith(p + ".") for p in POLICY)
        ]
    return found


def test_storage_imports_no_policy():
    assert len(_modules()) > 10  # the walk sees the repositories
    assert [hit for path in _modules() for hit in _policy_imports(path.read_text(), path.name)] == []


def test_the_import_check_catches_a_policy_import():
    """The walk above sees an import of policy however it is spelled, also inside a function."""
    for line in (
        "import monitor.workflow",
        "from monitor.triage import LEGAL",
        "from monitor import users",
        "def f():\n    from monitor.workflow import next_state",
    ):
        assert _policy_imports(line, "probe.py"), line
    assert _policy_imports("from monitor.records import OPEN_STATUSES\nimport monitor.errors", "ok.py") == []


def test_no_storage_module_is_over_500_lines_and_no_scan_is_capped():
    sizes = {p.name: len(p.read_text().splitlines()) for p in _modules()}
    assert {name: n for name, n in sizes.items() if n > 500} == {}
    capped = [
        f"{p.name}:{i}"
        for p in _modules()
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\b20_?000\b", line)
    ]
    assert capped == []


def _mapped(value: object, where: str, out: list[str]) -> None:
    """Collect every SQLAlchemy mapped instance inside ``value`` (lists, tuples, dicts, records)."""
    if isinstance(value, DeclarativeBase) or hasattr(value, "_sa_instance_state"):
        out.append(f"{where}: {type(value).__name__}")
    elif isinstance(value, dict):
        for k, v in value.items():
            _mapped(k, f"{where}[{k!r}]", out)
            _mapped(v, f"{where}[{k!r}]", out)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            _mapped(v, f"{where}[{i}]", out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _mapped(getattr(value, f.name), f"{where}.{f.name}", out)


def _filled(store: Store, make_mention, fake_classifier) -> None:
    post = make_mention(external_id="1", text="they scam people defamation", thread_id="1")
    reply = make_mention(external_id="2", text="so cold, complaint", thread_id="1", parent_id="1")
    quote = make_mention(external_id="3", text="look at this", quoted_id="1")
    snap = MetricSnapshot(at=NOW, likes=3, shares=1, replies=1, quotes=1, views=50)
    raw = RawPayload(body=b'{"id": "1"}', captured_at=NOW)
    store.save_page(
        "test",
        [post, reply, quote],
        [MentionMetrics("x", "1", snap)],
        {"since_id": "3"},
        NOW,
        [Share("x", "1", "9", "noa_k", "Noa", 340, "retweet", raw)],
        [Capture("x", "1", raw)],
    )
    run_pass(store, [], fake_classifier, NOW)
    store.add_user("dana", "manager", "hash", NOW)
    workflow.save_draft(store, 2, "sorry!", "en", "dana", NOW)
    workflow.correct(store, 2, "complaint", "it is a complaint", "dana", NOW)
    store.delivery_due("alert", "item:1", "dana@example.com", NOW)
    store.save_job_state("digest", NOW, "ok", next_run_at=NOW + timedelta(days=1))
    store.record_sign_in_failure(
        [("user", "dana")], NOW, lambda f, kind: after_failure(f, NOW, lockable=True)
    )


# Methods that write and return nothing (their effect is read back by the methods called below).
WRITERS = {
    "act", "approve", "assign", "clear_sign_in_failures", "correct", "delivery_result", "mark_reply_sent",
    "mark_source", "record_event", "record_job", "request_poll", "save_draft", "save_job_state",
    "set_digest_prefs", "set_user_disabled", "set_user_language",
}  # fmt: skip


def _calls(store: Store, make_mention, fake_classifier) -> dict[str, Callable[[], object]]:
    """A call of every public read of the facade (the writers that return nothing are in ``WRITERS``)."""
    version = fake_classifier.model_version
    return {
        "save_page": lambda: store.save_page("test", [make_mention(external_id="4")], [], None, NOW),
        "mark_deleted": lambda: store.mark_deleted("x", ["4"], NOW),
        "captures": lambda: store.captures("x", "1"),
        "shares": lambda: store.shares("x", "1"),
        "snapshots": lambda: store.snapshots([1, 2]),
        "sharer_followers": lambda: store.sharer_followers([1, 2]),
        "thread": lambda: store.thread(2),
        "versions": lambda: store.versions("x", "1"),
        "deleted_at": lambda: store.deleted_at("x", "4"),
        "business_posts": lambda: store.business_posts("x", NOW - timedelta(days=1)),
        "open_mentions": lambda: store.open_mentions("x"),
        "raw_payload": lambda: store.raw_payload("x", "1"),
        "source_state": lambda: store.source_state("test"),
        "sources": lambda: store.sources(),
        "unclassified": lambda: store.unclassified(version, 10),
        "save_classifications": lambda: store.save_classifications([], NOW),
        "classify_claimed": lambda: store.classify_claimed(version, 10, fake_classifier.predict, NOW),
        "model_version_of": lambda: store.model_version_of(1),
        "corrections": lambda: store.corrections(),
        "read_captures": lambda: store.read_captures(read_edit, 10, NOW),
        "unclassified_edits": lambda: store.unclassified_edits(version, 10),
        "save_edit_classifications": lambda: store.save_edit_classifications([], NOW),
        "classify_claimed_edits": lambda: store.classify_claimed_edits(
            version, 10, fake_classifier.predict, NOW
        ),
        "edits": lambda: store.edits("x", "1"),
        "triage_candidates": lambda: store.triage_candidates(version, NOW),
        "save_triage": lambda: store.save_triage([], NOW),
        "queue_item": lambda: store.queue_item(1),
        "queue": lambda: store.queue(QueueFilter(legal=LEGAL_SCOPE, include_closed=True)),
        "queue_count": lambda: store.queue_count(),
        "mention_id_of": lambda: store.mention_id_of(1),
        "assignees": lambda: store.assignees(),
        "reply": lambda: store.reply(2),
        "item": lambda: store.item(1),
        "evidence": lambda: store.evidence(1),
        "audit_head": lambda: store.audit_head(),
        "verify": lambda: store.verify(),
        "add_user": lambda: store.add_user("lea", "legal", "hash", NOW),
        "sign_in_failures": lambda: store.sign_in_failures([("user", "dana")]),
        "record_sign_in_failure": lambda: store.record_sign_in_failure(
            [("address", "10.0.0.1")], NOW, lambda f, kind: after_failure(f, NOW, lockable=False)
        ),
        "user": lambda: store.user("dana"),
        "users": lambda: store.users(),
        "delivery_due": lambda: store.delivery_due("alert", "item:1", "dana@example.com", NOW),
        "deliveries": lambda: store.deliveries(),
        "job_states": lambda: store.job_states(),
        "last_jobs": lambda: store.last_jobs(),
        "counts": lambda: store.counts(),
    }


def test_every_public_store_method_is_called_here(store, make_mention, fake_classifier):
    calls = _calls(store, make_mention, fake_classifier)
    forwarded = {name for name, value in vars(Store).items() if callable(value) and not name.startswith("_")}
    # every public method of the facade is either called here or a writer that returns nothing
    assert forwarded - {"open", "source_lock"} == set(calls) | WRITERS


def test_no_store_method_returns_an_orm_row(store, make_mention, fake_classifier):
    _filled(store, make_mention, fake_classifier)
    calls = _calls(store, make_mention, fake_classifier)
    found: list[str] = []
    results = {name: call() for name, call in calls.items()}
    for name, result in results.items():
        _mapped(result, name, found)
    with store.source_lock("test") as held:
        _mapped(held, "source_lock", found)
    assert found == []
    # and the calls did read what was stored (the walk saw real values, not empty ones)
    assert [p.external_id for p in results["thread"]] == ["1", "2"]
    assert [s.handle for s in results["shares"]] == ["noa_k"]
    assert len(results["captures"]) == 1 and results["last_jobs"][0].job == "pipeline"
    assert [q["external_id"] for q in results["evidence"]["quotes"]] == ["3"]


def _records_as_mappings(value: object, where: str, out: list[str]) -> None:
    """Collect every mapping with text keys (a record's fields as a dict) that ``value`` returns: itself,
    or inside the lists, tuples and mappings it is made of. A record's own fields are not walked: a JSON
    field (a cursor, an audit event's detail) is a value, not a record."""
    if isinstance(value, dict):
        if value and all(isinstance(k, str) for k in value):
            out.append(f"{where}: a dict of {sorted(value)[:3]}")
        for k, v in value.items():
            _records_as_mappings(v, f"{where}[{k!r}]", out)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            _records_as_mappings(v, f"{where}[{i}]", out)


def test_every_store_read_returns_records_or_values_never_a_dict(store, make_mention, fake_classifier):
    """No mapping stands in for a record: each read returns records (``monitor/stored.py``), plain values,
    or collections of them keyed by id. The one document is the evidence bundle's content, typed."""
    _filled(store, make_mention, fake_classifier)
    results = {name: call() for name, call in _calls(store, make_mention, fake_classifier).items()}
    found: list[str] = []
    for name, result in results.items():
        if name != "evidence":
            _records_as_mappings(result, name, found)
    assert found == []
    # the probe catches a record handed back as its fields
    probe: list[str] = []
    _records_as_mappings([dataclasses.asdict(results["counts"])], "counts", probe)
    assert probe == ["counts[0]: a dict of ['classifications', 'demo_mentions', 'mentions']"]
    # the reads above did read something, as records
    for name in ("item", "reply", "user", "users", "deliveries", "job_states", "open_mentions", "counts"):
        value = results[name]
        records = value if isinstance(value, list) else [value]
        assert records and all(dataclasses.is_dataclass(r) for r in records), name
    # the evidence is the typed document: its keys are EvidenceDocument's, nothing more or less
    ev = results["evidence"]
    assert isinstance(ev, dict) and set(ev) == set(EvidenceDocument.__required_keys__)
    assert set(ev["mention"]) == set(EvidenceMention.__required_keys__)
    assert set(ev["item"]) == {f.name for f in dataclasses.fields(TriageItem)}


def test_the_store_reads_are_the_repositories_records(store, make_mention, fake_classifier):
    """The store's reads forward to the repositories: the same records, field for field."""
    _filled(store, make_mention, fake_classifier)
    repos = store.repos
    pairs = {
        "item": (repos.items.item(2), store.item(2)),
        "reply": (repos.items.reply(2), store.reply(2)),
        "user": (repos.accounts.user("dana"), store.user("dana")),
        "users": (repos.accounts.users(), store.users()),
        "deliveries": (repos.deliveries.deliveries(), store.deliveries()),
        "job_states": (repos.jobs.job_states(), store.job_states()),
        "open_mentions": (repos.mentions.open_mentions("x"), store.open_mentions("x")),
        "counts": (repos.jobs.counts(), store.counts()),
    }
    for name, (record, from_store) in pairs.items():
        assert record == from_store and type(record) is type(from_store), name
    assert all(u.password_hash is None for u in store.users())  # the list leaves the password hash out
    assert store.user("dana").password_hash == "hash"
    assert [e.action for e in store.item(2).audit] == ["start", "draft", "correct"]
    assert store.counts().open_items == repos.jobs.counts().open_items == 3


def test_every_quote_is_read_page_by_page(store, make_mention, fake_classifier, monkeypatch):
    """With a page of 3, seven quotes take three pages: all of them come back, oldest first, then in the
    order stored (a cap at the page size would return 3)."""
    monkeypatch.setattr(evidence, "QUOTE_BATCH", 3)
    store.save_page("t", [make_mention(external_id="1", text="they scam people defamation")], [], {}, NOW)
    quotes = [
        make_mention(
            external_id=str(100 + i),
            # two quotes share a time: the page boundary falls between them and neither is lost
            created_at=NOW - timedelta(minutes=30 - (i // 2)),
            text="look at this",
            quoted_id="1",
            body=json.dumps({"id": str(100 + i), "quoted": "1"}).encode(),
        )
        for i in range(7)
    ]
    other = make_mention(external_id="200", quoted_id="2", body=b'{"id": "200"}')
    store.save_page("t", [*reversed(quotes), other], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    item_id = next(i.id for i in store.queue(limit=100) if i.external_id == "1")
    found = store.evidence(item_id)["quotes"]
    # stored newest first, so of two quotes at one time the higher number was stored first
    assert [q["external_id"] for q in found] == ["101", "100", "103", "102", "105", "104", "106"]
