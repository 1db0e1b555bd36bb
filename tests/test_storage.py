"""The Store: idempotent writes, byte-exact payloads, one transaction per page, clear errors."""

import hashlib
import sqlite3
from datetime import timedelta

import pytest
from conftest import NOW, open_store, sqlite_only
from sqlalchemy import select

from classifiers import Prediction
from monitor import workflow
from monitor.errors import StorageError
from monitor.records import MentionMetrics, MetricSnapshot
from monitor.storage import Store


def test_schema_is_migrated_to_head(store):
    assert store.schema_revision() == "0016"
    assert store.migrate() == "0016"  # migrating again is a no-op


@sqlite_only("the WAL journal mode")
def test_sqlite_uses_wal(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_save_page_is_idempotent_and_keeps_the_cursor(store, make_mention):
    page = [make_mention(external_id="1"), make_mention(external_id="2")]
    first = store.save_page("x-search", page, [], {"since_id": "2"}, NOW)
    again = store.save_page("x-search", page, [], {"since_id": "2"}, NOW)
    assert (first.new_mentions, again.new_mentions) == (2, 0)
    assert store.counts().mentions == 2
    assert store.source_state("x-search").cursor == {"since_id": "2"}
    # same id on another platform is another mention
    assert (
        store.save_page("fb", [make_mention(platform="facebook", external_id="1")], [], {}, NOW).new_mentions
        == 1
    )


def test_raw_payload_is_byte_exact_with_its_hash(store, make_mention):
    body = '{"text": "שלום \\u05e9", "n": 1.50}'.encode() + b"\x00\xff"
    store.save_page("s", [make_mention(external_id="9", body=body)], [], {}, NOW)
    stored, sha, captured = store.raw_payload("x", "9")
    assert stored == body
    assert sha == hashlib.sha256(body).hexdigest()
    assert captured == NOW


def test_snapshots_are_added_only_when_counters_change(store, make_mention):
    store.save_page("s", [make_mention(external_id="5")], [], {}, NOW)
    snap = lambda h, likes: MentionMetrics("x", "5", MetricSnapshot(at=NOW + timedelta(hours=h), likes=likes))  # noqa: E731
    saved = store.save_page("s", [], [snap(0, 3), snap(1, 3), snap(2, 10)], {}, NOW)
    assert saved.new_snapshots == 2
    assert store.save_page("s", [], [snap(2, 10)], {}, NOW).new_snapshots == 0
    [(_mid, snaps)] = store.snapshots([1]).items()
    assert [(s.at - NOW, s.likes) for s in snaps] == [(timedelta(0), 3), (timedelta(hours=2), 10)]


def test_a_failing_page_writes_nothing(store, make_mention, monkeypatch):
    calls = {"n": 0}
    from monitor.storage.ingest import Ingest

    original = Ingest._insert_snapshots

    def boom(self, s, metrics, *seals):
        calls["n"] += 1
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Ingest, "_insert_snapshots", boom)
    with pytest.raises(RuntimeError):
        store.save_page("s", [make_mention(external_id="7")], [], {"since_id": "7"}, NOW)
    monkeypatch.setattr(Ingest, "_insert_snapshots", original)
    assert store.counts().mentions == 0
    assert store.source_state("s") is None
    assert calls["n"] == 1


def test_classification_once_per_model_version(store, make_mention):
    store.save_page("s", [make_mention(external_id="1"), make_mention(external_id="2")], [], {}, NOW)
    assert store.unclassified("m1", 10) == [
        (1, "the coffee was cold again"),
        (2, "the coffee was cold again"),
    ]
    pred = Prediction("complaint", {"complaint": 0.9}, "en", "m1")
    store.save_classifications([(1, pred), (1, pred)], NOW)
    assert store.unclassified("m1", 10) == [(2, "the coffee was cold again")]
    assert len(store.unclassified("m2", 10)) == 2


@sqlite_only("a corrupt database file")
def test_corrupt_database_file_is_a_clear_error(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "repmon.db").write_bytes(b"this is not a database" * 100)
    from monitor.errors import StorageCorrupt

    with pytest.raises(StorageCorrupt, match=r"corrupt or not a SQLite file.*repmon init"):
        Store.open(data)
    assert (data / "repmon.db").read_bytes().startswith(b"this is not")  # left as it was


@sqlite_only("the database file in REPMON_DATA_DIR")
def test_unwritable_data_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match=r"not writable.*REPMON_DATA_DIR"):
        Store.open(blocker / "data")


def test_the_audit_key_file_comes_from_the_caller_never_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("REPMON_AUDIT_KEY_FILE", str(tmp_path / "from-env.key"))
    assert open_store(tmp_path / "data").key_file == tmp_path / "data" / "audit.key"
    given = open_store(tmp_path / "other", key_file=tmp_path / "given.key")
    assert given.key_file == tmp_path / "given.key"
    from monitor.cli import common

    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "cli"))
    assert common.open_store().key_file == tmp_path / "from-env.key"  # the command passes its setting


def test_bad_database_url_is_a_clear_error():
    with pytest.raises(StorageError, match="REPMON_DATABASE_URL"):
        Store.open(url="nosuchdb://user:secret@host/db")


@sqlite_only("the SQLite file format")
def test_sqlite_file_is_really_sqlite(store, make_mention, tmp_path):
    store.save_page("s", [make_mention()], [], {}, NOW)
    path = store.url.removeprefix("sqlite:///")
    assert sqlite3.connect(path).execute("select count(*) from mentions").fetchone() == (1,)


def test_migrations_match_the_models(store):
    """Autogenerate finds nothing to add: every model change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from monitor.storage.models import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def alembic(store, step, revision):
    """Run an alembic command (``command.upgrade`` / ``downgrade``) on ``store``'s database as the alembic
    command line runs: a plain engine (SQLite's foreign keys not enforced, so that batch mode may rebuild a
    table that other rows reference)."""
    from alembic.config import Config
    from sqlalchemy import create_engine

    from monitor.storage.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(store.url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)
    engine.dispose()


def test_migrations_run_down_and_up_again_with_data(store, make_mention, fake_classifier):
    """Every migration runs on the database under test (SQLite, or PostgreSQL with TEST_DATABASE):
    down to 0006 with rows in the tables and up again (0007 fills the queue's columns from the rows), then
    down to an empty database and up from nothing."""
    from alembic import command
    from sqlalchemy import inspect

    from monitor.pipeline import run_pass

    def migrate(step, revision):
        alembic(store, step, revision)

    page = [make_mention(external_id="1"), make_mention(external_id="2", text="praise the new barista")]
    store.save_page("s", page, [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    workflow.act(store, 2, "dismiss", "dana", NOW, reason="not about us")
    before = [(q.id, q.label, q.language, q.status) for q in store.queue(include_closed=True)]
    assert before == [(1, "complaint", "en", "new"), (2, "praise", "en", "dismissed")]

    migrate(command.downgrade, "0006")
    assert store.schema_revision() == "0006"
    assert store.migrate() == "0016"  # on SQLite 0007 rebuilds triage_items, which audit events point at
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforced again after
    assert [(q.id, q.label, q.language, q.status) for q in store.queue(include_closed=True)] == before
    assert [q.id for q in store.queue()] == [1]  # is_open follows the status
    assert store.verify() == []

    migrate(command.downgrade, "base")
    assert store.schema_revision() == "none"
    assert inspect(store.engine).get_table_names() == ["alembic_version"]
    assert store.migrate() == "0016"
    assert store.counts().mentions == 0


def test_migration_0013_scrubs_a_token_stored_in_later_captures(store, make_mention):
    """Refresh captures stored before 0013 held the Page token Graph echoes into ``paging.next``: the
    upgrade replaces it, computes the SHA-256 again, and drops a capture that then equals another."""
    from alembic import command

    from monitor.records import Capture, RawPayload

    link = (
        b'{"id":"1","comments":{"paging":{"next":"https://graph.facebook.com/v25.0/1/comments?access_token='
    )
    bodies = [link + t + b'&after=QVFI"}}}' for t in (b"EAAGsecret1", b"EAAGsecret2")]  # one read, two tokens
    clean = b'{"id":"1","message":"edited"}'
    store.save_page("s", [make_mention(external_id="1")], [], None, NOW)
    alembic(store, command.downgrade, "0012")
    store.save_page(
        "s",
        [],
        [],
        None,
        NOW,
        captures=[Capture("x", "1", RawPayload(body=b, captured_at=NOW)) for b in (*bodies, clean)],
    )
    assert len(store.captures("x", "1")) == 3
    assert store.migrate() == "0016"
    scrubbed = link + b'[redacted]&after=QVFI"}}}'
    got = [(c.body, c.sha256) for c in store.captures("x", "1")]
    assert sorted(got) == sorted(
        [(scrubbed, hashlib.sha256(scrubbed).hexdigest()), (clean, hashlib.sha256(clean).hexdigest())]
    )


def test_migration_0014_reads_the_captures_stored_before_it_for_edits(store, make_mention, fake_classifier):
    """Captures stored before 0014 start unread: the first pass after the upgrade reads each once, and an
    edit among them is classified and triaged (here, into legal), sealed in the audit chain."""
    import json

    from alembic import command

    from monitor.pipeline import run_pass
    from monitor.records import Capture, RawPayload

    first, edit = "the coffee was cold, a complaint", "they steal from customers, defamation"
    raw = json.dumps({"id": "9_1", "message": first}).encode()
    store.save_page(
        "s", [make_mention(platform="facebook", external_id="9_1", text=first, body=raw)], [], {}, NOW
    )
    run_pass(store, [], fake_classifier, NOW)
    alembic(store, command.downgrade, "0013")
    bodies = [
        json.dumps({"id": "9_1", "message": m, "like_count": n}).encode() for n, m in enumerate((first, edit))
    ]
    later = [
        Capture("facebook", "9_1", RawPayload(b, NOW + timedelta(minutes=n))) for n, b in enumerate(bodies, 1)
    ]
    store.save_page("facebook-metrics", [], [], None, NOW, (), later)
    assert store.migrate() == "0016"
    report = run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    assert (report.classified, report.errors) == (1, [])
    [q] = store.queue()
    assert (q.label, q.playbook, q.edit.text, q.edit.label) == (
        "defamation",
        "escalate_legal",
        edit,
        "defamation",
    )
    assert store.verify() == []
    assert run_pass(store, [], fake_classifier, NOW + timedelta(minutes=6)).classified == 0


def test_migration_0015_links_the_versions_of_posts_edited_on_x_stored_before_it(store, make_mention):
    """X posts stored before 0015 get the first version they edit from their stored payload's
    ``edit_history_tweet_ids``; a malformed history, or a post that edits nothing, links nothing; the
    audit chain still verifies (the column is derived from the sealed payload, not sealed itself)."""
    import json

    from alembic import command
    from sqlalchemy import select

    from monitor.storage.models import MentionRow

    def post(tid, history):
        body = json.dumps({"id": tid, "text": "t", "edit_history_tweet_ids": history}).encode()
        return make_mention(
            external_id=tid, text="t", body=body, created_at=NOW - timedelta(minutes=100 - int(tid))
        )

    store.save_page(
        "s",
        [post("1", ["1"]), post("2", ["1", "2"]), post("3", ["1", "x3"]), post("4", {"1": "4"})],
        [],
        None,
        NOW,
    )
    alembic(store, command.downgrade, "0014")  # as stored before 0015: the column is gone
    assert store.migrate() == "0016"
    with store.session() as s:
        got = s.execute(select(MentionRow.external_id, MentionRow.edit_of).order_by(MentionRow.id)).all()
    assert [tuple(r) for r in got] == [("1", None), ("2", "1"), ("3", None), ("4", None)]
    assert [(v.external_id, v.this) for v in store.versions("x", "2")] == [("1", False), ("2", True)]
    assert store.verify() == []


def test_text_typed_by_people_is_stored_as_valid_text(store):
    """Not only posts: a NUL (PostgreSQL refuses it in text) or a lone surrogate typed into a form or
    quoted by an error is stored as U+FFFD on every database, a lookup finds it the same way, and the
    audit chain verifies."""
    from monitor.storage.models import AuditEventRow

    bad, stored = "ma\x00ya\ud800", "ma\ufffdya\ufffd"
    assert store.add_user(bad, "manager", "an-argon2-hash", NOW)
    store.set_digest_prefs(bad, "m\x00@example.com", "he", True, bad, NOW)
    store.record_event(None, bad, "note", {"text": "n\x00ul \ud800"}, NOW)
    store.save_job_state("poll x-search", NOW, "error", error="boom\x00")
    store.mark_source("x-search", NOW, status="failing", error="bad\x00 \ud800")
    assert (store.user(bad).name, store.user(stored).email) == (stored, "m\ufffd@example.com")
    assert store.job_states()[0].last_error == "boom\ufffd"
    assert store.source_state("x-search").last_error == "bad\ufffd \ufffd"
    with store.session() as s:
        events = s.execute(select(AuditEventRow.actor, AuditEventRow.action, AuditEventRow.detail)).all()
    assert [(a, b) for a, b, _ in events] == [
        ("repmon:admin", "user_add"),  # the shell, acting as the administrator
        (stored, "digest_settings"),
        (stored, "note"),
    ]
    assert events[-1][2] == {"text": "n\x00ul \ud800"}  # JSON keeps any text, escaped
    assert store.verify() == []


@pytest.mark.parametrize("before", ["0015", "0009"])
def test_a_correction_stored_before_0016_keeps_its_seal_and_its_text(
    store, make_mention, fake_classifier, before
):
    """Corrections stored before 0016 have no version (they were of the first text): the column comes back
    empty, their seals stay valid, and ``repmon train --with-corrections`` pairs them with the first text.
    Through 0009, revision 0010 seals the corrections table as it was then (without the later column)."""
    from alembic import command

    from monitor.pipeline import run_pass

    store.save_page("s", [make_mention(external_id="1")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    store.correct(1, "neutral", "a question", "dana", NOW)
    expected = store.corrections()
    alembic(store, command.downgrade, before)
    assert store.migrate() == "0016"
    assert store.corrections() == expected
    assert store.verify() == []
