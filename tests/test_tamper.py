"""Tampering behind repmon's back (raw SQL through the engine), and what `repmon verify` says about it."""

import hashlib
import json
import stat
from datetime import timedelta

import pytest
from conftest import NOW, ON_POSTGRESQL, open_store
from sqlalchemy import select, text

from monitor import workflow
from monitor.pipeline import run_pass
from monitor.storage import audit
from monitor.storage.models import AuditEventRow

ITEM_DIFFERS = (
    "queue item 1: its status, playbook, label, decision or assignee differs from the audit trail "
    "(changed behind repmon's back)"
)


@pytest.fixture
def worked(store, make_mention, fake_classifier):
    """Two posts ingested with metrics, classified and triaged; an item corrected, escalated; a user."""
    from classifiers.virality import MetricSnapshot
    from monitor.records import MentionMetrics

    page = [
        make_mention(external_id="1", text="they scam people defamation", body=b'{"id": "1"}'),
        make_mention(external_id="2", text="cold coffee", body=b'{"id": "2", "text": "cold coffee"}'),
    ]
    metrics = [MentionMetrics("x", "1", MetricSnapshot(NOW, 5, 1, 0, 0, 100))]
    store.save_page("t", page, metrics, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    workflow.correct(store, 2, "praise", "it is a joke", "dana", NOW + timedelta(minutes=1))
    workflow.act(store, 1, "escalate", "dana", NOW + timedelta(minutes=2))
    store.add_user("miri", "legal", "argon2-hash", NOW)
    assert store.verify() == []
    return store


def sql(store, statement, **params):
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def events(store):
    with store.session() as s:
        return s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)).all()


def test_the_key_and_checkpoint_live_beside_the_database(worked, tmp_path):
    key = tmp_path / "data" / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    chain = events(worked)
    assert json.loads((tmp_path / "data" / "audit-head.json").read_text()) == {
        "events": len(chain),
        "head": chain[-1].hash,
    }
    assert worked.audit_head() == (len(chain), chain[-1].hash)
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))


def test_deleting_the_last_events_is_truncation(worked):
    last = events(worked)[-1]
    sql(worked, "DELETE FROM audit_events WHERE id >= :id", id=last.id - 1)
    problems = worked.verify()
    assert (
        f"audit chain (checkpoint {worked.checkpoint_file}): the chain ends at event {last.seq - 2} but the "
        f"checkpoint recorded {last.seq} events (head {last.hash[:16]}): the last 2 event(s) were deleted"
    ) in problems


def test_a_missing_checkpoint_is_reported(worked):
    worked.checkpoint_file.unlink()
    assert worked.verify() == [
        f"audit chain (checkpoint {worked.checkpoint_file}): the checkpoint file is missing while the "
        f"database holds {len(events(worked))} events: deleted last events cannot be ruled out; restore "
        "the file from your backup"
    ]


def test_an_edited_event(worked):
    e = events(worked)[-2]
    sql(worked, "UPDATE audit_events SET detail = :d WHERE id = :id", d='{"reason": "other"}', id=e.id)
    assert worked.verify() == [
        f"audit event {e.id} (item {e.item_id}, {e.action} by {e.actor}): its content was changed after it "
        "was recorded"
    ]


def test_a_deleted_event_with_the_chain_recomputed_without_the_key(worked):
    """Delete the escalation and re-hash every later event as the unkeyed chain did (plain SHA-256)."""
    chain = events(worked)
    gone = next(e for e in chain if e.action == "escalate")
    sql(worked, "DELETE FROM audit_events WHERE id = :id", id=gone.id)
    prev, seq = "", 0
    for e in chain:
        if e.id == gone.id:
            continue
        seq += 1
        fields = audit.event_fields(prev, seq, e.at, e.actor, e.action, e.item_id, e.detail, e.seals)
        digest = hashlib.sha256(fields).hexdigest()
        sql(worked, "UPDATE audit_events SET prev_hash = :p, seq = :s, hash = :h WHERE id = :id",
            p=prev, s=seq, h=digest, id=e.id)  # fmt: skip
        prev = digest
    problems = worked.verify()
    first = chain[0]
    assert problems[0] == (
        f"audit event {first.id} (item None, {first.action} by repmon): its hash was recomputed without the "
        "audit key: the chain was rewritten behind repmon's back"
    )
    assert any("the last 1 event(s) were deleted" in p for p in problems)
    assert ITEM_DIFFERS in problems  # the item is escalated; no event left says so


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            "UPDATE mentions SET text = 'they are lovely' WHERE id = 1",
            "mention 1 (x/1): its text, author, dates or other stored fields changed after it was stored",
        ),
        (
            "UPDATE classifications SET label = 'praise' WHERE mention_id = 1",
            "classification 1 of mention 1: its label or scores changed after the classifier stored them",
        ),
        (
            "UPDATE classifications SET scores = '{\"praise\": 1.0}' WHERE mention_id = 1",
            "classification 1 of mention 1: its label or scores changed after the classifier stored them",
        ),
        (
            "UPDATE metric_snapshots SET likes = 5000 WHERE mention_id = 1",
            "metric snapshot 1 of mention 1: its counts (likes, shares, replies, quotes, views) changed "
            "after "
            "they were stored",
        ),
        ("UPDATE triage_items SET status = 'dismissed' WHERE id = 1", ITEM_DIFFERS),
        ("UPDATE triage_items SET playbook = 'thank' WHERE id = 1", ITEM_DIFFERS),
        (
            "UPDATE users SET role = 'owner' WHERE name = 'miri'",
            "user 'miri': their role differs from the audit trail (changed behind repmon's back)",
        ),
        (
            "DELETE FROM corrections WHERE id = 1",
            "correction 1: recorded in the audit trail but deleted since",
        ),
        (
            "INSERT INTO corrections (mention_id, label, reason, actor, at) "
            "VALUES (1, 'praise', 'x', 'dana', '2026-11-20 12:00:00')",
            "correction 2 of mention 1: no audit event covers it: added behind repmon's back",
        ),
    ],
)
def test_edited_rows_legal_relies_on(worked, statement, problem):
    sql(worked, statement)
    assert worked.verify() == [problem]


def test_a_payload_rewritten_together_with_its_hash(worked):
    body = b'{"id": "2", "text": "cold coffee, and they steal"}'
    sql(worked, "UPDATE raw_payloads SET body = :b, sha256 = :h WHERE mention_id = 2",
        b=body, h=hashlib.sha256(body).hexdigest())  # fmt: skip
    assert worked.verify() == [
        "raw payload of mention 2: the payload was replaced together with its SHA-256 after capture",
        "raw payload of x/2 (mention 2): its text is not the text stored for the post: the evidence bundle "
        "would hold another post",
    ]


def test_a_post_stored_with_another_posts_payload(store, make_mention):
    """Issue 13 point 1: post B stored with post A's bytes verifies no more."""
    a = b'{"id": "1", "text": "first post"}'
    store.save_page("t", [make_mention(external_id="2", text="second post", body=a)], [], {}, NOW)
    assert store.verify() == [
        "raw payload of x/2 (mention 1): it is the payload of post '1', not of '2': the evidence bundle "
        "would hold another post"
    ]


def test_the_payload_check_accepts_each_platform_shape():
    assert audit.payload_mismatch("demo-7", "hi", b'{"demo": true, "id": "7", "text": "hi"}') is None
    assert audit.payload_mismatch("12", "a & b", b'{"id": "12", "text": "a &amp; b"}') is None
    assert (
        audit.payload_mismatch("12", "long", b'{"id": "12", "text": "lo", "note_tweet": {"text": "long"}}')
        is None
    )
    assert audit.payload_mismatch("1_2", "", b'{"id": "1_2"}') is None  # a Facebook post without a message
    assert audit.payload_mismatch("1", "x", b"not json") is None
    assert audit.payload_mismatch("1_2", "hi", b'{"id": "1_2", "message": "bye"}') == (
        "its text is not the text stored for the post"
    )


@pytest.mark.skipif(ON_POSTGRESQL, reason="builds a schema-0008 SQLite file")
def test_an_old_unkeyed_chain_is_re_signed_once_at_upgrade(tmp_path, make_mention, fake_classifier):
    """A database made before 0010 (unkeyed chain): upgrading re-signs it under the key, says so in an
    event, seals the rows it holds, and verifies; the audit events before keep their order and content."""
    from alembic import command
    from alembic.config import Config

    from monitor.storage.store import MIGRATIONS

    data = tmp_path / "data"
    store = open_store(data)
    store.save_page("t", [make_mention(external_id="1", text="they scam defamation")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    workflow.act(store, 1, "escalate", "dana", NOW)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
        # As 0008's code wrote it: plain SHA-256 links.
        prev = ""
        rows = conn.execute(
            text("SELECT id, at, actor, action, item_id, detail FROM audit_events ORDER BY id")
        )
        from datetime import UTC, datetime

        for id_, at, actor, action, item_id, detail in rows.all():
            at = datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
            h = hashlib.sha256(
                audit.legacy_fields(prev, at, actor, action, item_id, json.loads(detail))
            ).hexdigest()
            conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :id"),
                         {"p": prev, "h": h, "id": id_})  # fmt: skip
            prev = h
    store.engine.dispose()
    (data / "audit-head.json").unlink()
    upgraded = open_store(data)
    chain = events(upgraded)
    actions = [e.action for e in chain]
    assert actions[:5] == ["ingest", "classify", "triage", "escalate", "audit_rechain"]
    assert chain[4].detail["events"] == 4 and chain[4].detail["old_links_broken"] == 0
    assert set(actions[5:]) == {"seal_existing"}
    assert upgraded.verify() == []
    sql(upgraded, "UPDATE mentions SET text = 'nice' WHERE id = 1")
    assert upgraded.verify() == [
        "mention 1 (x/1): its text, author, dates or other stored fields changed after it was stored"
    ]


def test_verify_with_another_key_finds_every_event_changed(worked, tmp_path):
    from monitor.storage import Store

    other = Store(worked.url, tmp_path / "data", key_file=tmp_path / "other.key")
    problems = other.verify()
    assert problems and all("its content was changed after it was recorded" in p for p in problems)
