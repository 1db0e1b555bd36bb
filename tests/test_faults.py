"""Faults the monitor must survive (issue 8, point 3): kill -9 mid-ingest, API storms, a locked, full or
read-only database. An SMTP outage (the digest goes out once, later) is tested in tests/test_runner.py
(test_smtp_down_then_up_the_digest_goes_out_once_later).

The X sources run for real (tweepy, requests, the pollers' own parsing) against a fake X API v2 on
127.0.0.1 (tests/support/fake_api.py) that can answer slowly, with 429s, 5xx or not at all.
"""

import json
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from conftest import NOW, ON_POSTGRESQL, FakeClassifier, sqlite_only
from sqlalchemy import event, select
from support.fake_api import CREATED, FakeX, Fault, redirect

import monitor.storage.database as store_module
from monitor.errors import StorageBusy, StorageError, StorageFull, StorageReadOnly
from monitor.pipeline import PassReport, poll_source
from monitor.records import SourcePage
from monitor.runner import RunConfig, Runner
from monitor.sources.x import XSource, make_client
from monitor.storage import Store
from monitor.storage.models import MentionRow, RawPayloadRow

TOKEN = "AAAAAAAAAAAAAAAAAAAAAfault-test-token"
QUERY = "קפה לימון OR @CafeLimonIL"


def stored_x(store):
    """external id -> raw payload bytes of every stored X mention (a mention without one maps to None)."""
    with store.session() as s:
        q = select(MentionRow.external_id, RawPayloadRow.body).outerjoin(
            RawPayloadRow, RawPayloadRow.mention_id == MentionRow.id
        )
        rows = s.execute(q.where(MentionRow.platform == "x")).all()
    out = {ext: body for ext, body in rows}
    assert len(out) == len(rows), "a mention is stored twice"
    return out


def assert_sqlite_intact(store):
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


# -- a) kill -9 mid-ingest ------------------------------------------------------------------------------

PAGE = 20
KILLS = 24
PAUSE = 0.02  # the ingest child holds each page's transaction open this long after its INSERTs
IDLE, REQUEST, WRITE, COMMIT = range(4)
PHASES = {IDLE: "starting", REQUEST: "request or parse", WRITE: "in transaction", COMMIT: "commit"}


def _ingest(url, api, phase, stop_at, data_dir=None):
    """The ingest process: polls x-search page by page until its cursor reaches ``stop_at``. It reports
    where it is in ``phase`` (shared memory) so the test can aim kills, and holds each page's transaction
    open for ``PAUSE`` after its INSERTs (before COMMIT) so a kill can land with rows written but not
    committed."""
    store = Store(url, data_dir)  # the data dir holds the audit key the parent verifies with
    src = XSource("x-search", "search", make_client(TOKEN), query=QUERY, max_results=PAGE, backoff=0)
    redirect(src.client, api)
    call = src.call

    def calling(fn, **params):
        phase.value = REQUEST
        return call(fn, **params)

    src.call = calling

    @event.listens_for(store.engine, "before_cursor_execute")
    def writing(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO mentions"):
            phase.value = WRITE

    @event.listens_for(store.engine, "commit")
    def committing(conn):
        if phase.value == WRITE:
            time.sleep(PAUSE)
            phase.value = COMMIT

    while True:
        report = PassReport()
        poll_source(store, src, NOW, report)
        if report.errors:
            raise SystemExit(f"ingest failed: {report.errors}")
        cursor = store.source_state("x-search").cursor
        if cursor.get("since_id") == stop_at and not cursor.get("next_token"):
            return


def assert_consistent(store, api):
    """What is stored is exactly what the cursor says was read: every tweet up to ``since_id``, plus, in
    an unfinished walk, the tweets from its newest (``pending_newest``) down to where its pagination
    token resumes; each once, with its payload byte-exact as the API sent it."""
    state = store.source_state("x-search")
    cursor = state.cursor if state else {}
    since, token, pending = cursor.get("since_id"), cursor.get("next_token"), cursor.get("pending_newest")
    timeline = api.timelines["search"]
    expected = {t for t in timeline if since and int(t) <= int(since)}
    if token:
        low = int(api.token_boundary(token))
        expected |= {t for t in timeline if low <= int(t) <= int(pending)}
    else:
        assert pending is None
    stored = stored_x(store)
    assert set(stored) == expected
    assert all(json.loads(stored[t]) == api.tweets[t] for t in stored)
    assert store.verify() == []
    return len(stored)


def test_kill_9_at_random_points_loses_and_repeats_nothing(store):
    """An ingest process is killed with SIGKILL at least 24 times: at random delays, while a request is
    in flight, and inside a page's transaction after its INSERTs. After each kill, and after a final
    restart that runs to the end, the store holds every tweet up to the cursor exactly once."""
    rng = random.Random(20261120)
    api = FakeX(delay=0.01).start()
    fork = multiprocessing.get_context("fork")
    phase = fork.RawValue("i", IDLE)
    kills, runs = Counter(), 0
    try:
        while sum(kills.values()) < KILLS:
            api.add("search", rng.randint(10, 60))
            aim = (None, REQUEST, WRITE)[runs % 3]
            phase.value = IDLE
            store.engine.dispose()  # no connection crosses the fork
            child = fork.Process(
                target=_ingest,
                args=(store.url, api, phase, api.timelines["search"][-1], store.checkpoint_file.parent),
            )
            child.start()
            runs += 1
            if aim is None:
                time.sleep(rng.uniform(0.0, 0.4))
            else:
                deadline = time.monotonic() + 10
                while phase.value != aim and child.is_alive() and time.monotonic() < deadline:
                    time.sleep(0.0005)
                time.sleep(rng.uniform(0.0, (PAUSE if aim == WRITE else api.delay) / 2))
            where = phase.value
            if child.is_alive():
                os.kill(child.pid, signal.SIGKILL)
            child.join(10)
            if child.exitcode == -signal.SIGKILL:
                kills[PHASES[where]] += 1
            else:
                assert child.exitcode == 0, f"the ingest process failed (exit {child.exitcode})"
            assert_consistent(store, api)
        store.engine.dispose()
        child = fork.Process(
            target=_ingest,
            args=(store.url, api, phase, api.timelines["search"][-1], store.checkpoint_file.parent),
        )
        child.start()
        child.join(60)
        assert child.exitcode == 0
    finally:
        api.stop()
    assert assert_consistent(store, api) == len(api.timelines["search"])
    assert store.source_state("x-search").cursor["since_id"] == api.timelines["search"][-1]
    assert kills["in transaction"] >= 5 and kills["request or parse"] >= 5, kills
    assert_sqlite_intact(store)


# -- b) storms of 429, 5xx and timeouts ----------------------------------------------------------------


START = CREATED + timedelta(minutes=30)  # the fake posts are young: the metrics source re-reads them often


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_storms_of_429_5xx_and_timeouts_the_loop_goes_on_and_catches_up(store, monkeypatch):
    """The real loop (``Runner``, its sources built by ``monitor.wiring`` from the settings) against a
    fake X API that fails in every way: 503s until the retries run out, a 500 mid-walk, a 429 mid-walk
    (the source is skipped until its reset, then resumes the walk), timeouts, dropped connections. No
    exception escapes the loop, and once the storm is over every post the API holds is stored once."""
    from monitor.wiring import build_sources

    for name, value in {
        "REPMON_SOURCES": "x-search,x-mentions,x-metrics",
        "REPMON_X_BEARER_TOKEN": TOKEN,
        "REPMON_X_ACCOUNT_ID": "42",
        "REPMON_X_QUERY": QUERY,
        "REPMON_X_POLL_INTERVAL": "60",
    }.items():
        monkeypatch.setenv(name, value)
    api = FakeX().start()
    sources = build_sources(store)
    redirect(sources[0].client, api, timeout=0.5)  # the X sources share one client
    waits = []
    for src in sources:
        src.call.sleep = waits.append  # the backoff between retries, recorded instead of slept
        src.max_results = 10
    clock = Clock(START)
    runner = Runner(store, sources, FakeClassifier(), RunConfig(), clock=clock)

    def tick(n=1):
        for _ in range(n):
            runner.scheduler.run_all()  # every job, as the loop runs them; none may raise
            clock.now += timedelta(seconds=15)

    search_reset = int((START + timedelta(minutes=5)).timestamp())
    api.add("search", 20)
    api.add("mentions", 8)
    api.add("search", 5, also=("mentions",))  # in both timelines: still stored once
    api.fail("search", *[Fault.status(503)] * 3)
    api.fail("search", Fault.ok(), Fault.status(500), Fault.ok(), Fault.status(429, reset=search_reset))
    api.fail("mentions", *[Fault.slow(2.0)] * 3)
    api.fail("mentions", Fault.drop(), Fault.ok())
    api.fail("lookup", Fault.status(429, reset=int((START + timedelta(minutes=8)).timestamp())))
    api.fail("lookup", *[Fault.status(502)] * 3)
    try:
        tick()  # search: 503 x 3; mentions: three timeouts
        search, mentions = store.source_state("x-search"), store.source_state("x-mentions")
        assert (search.status, mentions.status) == ("failing", "failing")
        assert "X API unavailable (server error 503) after 3 tries; will retry next run" in search.last_error
        assert "X API unavailable (ReadTimeout) after 3 tries" in mentions.last_error
        assert stored_x(store) == {}

        tick()  # search: page 1, a 500 then page 2, a 429 on page 3; mentions: a dropped connection, then ok
        search = store.source_state("x-search")
        assert (search.status, search.reset_at) == ("rate_limited", START + timedelta(minutes=5))
        assert search.cursor["next_token"] and search.cursor["since_id"] is None  # mid-walk
        assert store.source_state("x-mentions").status == "ok"
        both = set(api.timelines["search"][-20:]) | set(api.timelines["mentions"])
        assert set(stored_x(store)) == both

        api.add("search", 12)  # more posts while the storm goes on
        api.add("mentions", 3)
        calls = api.calls("search")
        while clock.now < START + timedelta(minutes=5):
            tick()
            assert api.calls("search") == calls  # rate limited: not one request until the reset
            assert store.source_state("x-search").status == "rate_limited"
        tick()
        assert api.calls("search") > calls
        tick(4 * 6)  # 6 minutes: the metrics source's 429 (reset at 8 min) and 502s pass, its refresh is done
    finally:
        api.stop()

    assert api.pending_faults("search") == api.pending_faults("mentions") == api.pending_faults("lookup") == 0
    everything = set(api.timelines["search"]) | set(api.timelines["mentions"])
    stored = stored_x(store)
    assert set(stored) == everything and len(everything) == 20 + 8 + 5 + 12 + 3
    assert all(json.loads(stored[t]) == api.tweets[t] for t in stored)
    assert store.verify() == []
    states = {s.name: s for s in store.sources()}
    assert {n: s.status for n, s in states.items()} == {
        "x-search": "ok",
        "x-mentions": "ok",
        "x-metrics": "ok",
    }
    assert states["x-search"].cursor["since_id"] == api.timelines["search"][-1]
    assert states["x-mentions"].cursor["since_id"] == api.timelines["mentions"][-1]
    lookups = api.answers("lookup")
    assert lookups[:4] == [429, 502, 502, 502] and set(lookups[4:]) == {200}  # then the refresh got through
    assert api.answers("mentions")[:5] == ["slow", "slow", "slow", "drop", 200]
    assert api.answers("search")[:7] == [503, 503, 503, 200, 500, 200, 429]
    jobs = {j.name: j for j in store.job_states()}
    for name in ("poll x-search", "poll x-mentions", "poll x-metrics"):
        assert jobs[name].errors >= 1 and jobs[name].last_status == "ok", jobs[name]
    assert waits[:2] == [1.0, 2.0]  # retries back off (1 s, 2 s), without sleeping in the test


# -- c) "database is locked" under a busy dashboard -------------------------------------------------------


class Holder:
    """Another connection (the dashboard, say) holding SQLite's write lock until ``release()``."""

    def __init__(self, store):
        path = store.url.removeprefix("sqlite:///")
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO job_runs (job, started_at, finished_at, status, detail) "
            "VALUES ('dashboard', '2026-11-20 12:00:00', '2026-11-20 12:00:00', 'ok', '{}')"
        )

    def release(self):
        self.conn.execute("COMMIT")
        self.conn.close()

    def release_after(self, seconds):
        timer = threading.Timer(seconds, self.release)
        timer.start()
        return timer


@sqlite_only("SQLite's database-wide write lock (PostgreSQL locks rows)")
def test_a_write_waits_for_a_dashboard_that_holds_the_database_then_goes_through(store, make_mention):
    store.save_page("x-search", [make_mention(external_id="1")], [], {"page": 1}, NOW)
    holder = Holder(store)
    timer = holder.release_after(1.0)
    started = time.monotonic()
    assert store.counts().mentions == 1  # readers never wait under WAL
    assert time.monotonic() - started < 0.5
    store.save_page("x-search", [make_mention(external_id="2")], [], {"page": 2}, NOW)
    waited = time.monotonic() - started
    timer.join()
    assert 0.8 < waited < store_module.BUSY_TIMEOUT_S
    assert sorted(stored_x(store)) == ["1", "2"] and store.source_state("x-search").cursor == {"page": 2}
    assert [j.job for j in store.last_jobs()] == ["dashboard"]  # the other connection's write is in too


@sqlite_only("SQLite's database-wide write lock (PostgreSQL locks rows)")
def test_a_lock_held_past_the_limit_is_a_clear_error_and_writes_nothing(store, make_mention, monkeypatch):
    store.save_page("x-search", [make_mention(external_id="1")], [], {"page": 1}, NOW)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.3)
    store.engine.dispose()  # new connections take the shorter limit
    holder = Holder(store)
    started = time.monotonic()
    with pytest.raises(StorageError) as err:
        store.save_page("x-search", [make_mention(external_id="2")], [], {"page": 2}, NOW)
    assert 0.25 < time.monotonic() - started < 2
    holder.release()
    assert isinstance(err.value, StorageBusy)  # by SQLite's error code: the worker retries on this class
    assert str(err.value) == (
        f"database {store.url} is locked: another connection (the dashboard, a worker, another repmon "
        "command) held a write for over 0.3 s (database is locked); nothing of this change was stored: "
        "try again, and if it persists stop the process that holds the database"
    )
    assert sorted(stored_x(store)) == ["1"] and store.source_state("x-search").cursor == {"page": 1}
    store.save_page("x-search", [make_mention(external_id="2")], [], {"page": 2}, NOW)  # trying again works
    assert sorted(stored_x(store)) == ["1", "2"]


class Pages:
    """A source with one page of mentions, read from its cursor."""

    name, min_interval = "x-search", None

    def __init__(self, mentions):
        self.mentions = mentions

    def fetch(self, cursor, now):
        done = int(cursor.get("done", 0))
        yield SourcePage(mentions=tuple(self.mentions[done:]), cursor={"done": len(self.mentions)})


@sqlite_only("SQLite's database-wide write lock (PostgreSQL locks rows)")
def test_the_loop_survives_a_lock_past_the_limit_and_the_next_run_stores_the_page(
    store, make_mention, monkeypatch, caplog
):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.1)
    store.engine.dispose()
    src = Pages([make_mention(external_id=str(i), text=f"complaint {i}") for i in range(5)])
    clock = Clock(NOW)
    runner = Runner(store, [src], FakeClassifier(), RunConfig(), clock=clock)
    holder = Holder(store)
    try:
        runner.scheduler.run_all()  # every write fails, the job records too; nothing escapes
    finally:
        holder.release()
    assert stored_x(store) == {} and store.job_states() == []
    assert "job poll x-search: its run could not be recorded: database" in caplog.text
    clock.now += timedelta(seconds=15)
    runner.scheduler.run_all()
    assert sorted(stored_x(store)) == ["0", "1", "2", "3", "4"]
    jobs = {j.name: j for j in store.job_states()}
    assert jobs["poll x-search"].last_status == "ok"
    assert jobs["poll x-search"].last_detail == "5 new, 0 snapshots, 5 classified"


# -- e) a full or read-only disk ---------------------------------------------------------------------------


def big_page(make_mention, first, n):
    return [
        make_mention(external_id=str(i), body=json.dumps({"id": str(i), "pad": "x" * 4000}).encode())
        for i in range(first, first + n)
    ]


def assert_left_as_it_was(store, ids, cursor):
    assert sorted(stored_x(store), key=int) == ids
    assert store.source_state("x-search").cursor == cursor
    assert store.verify() == []
    assert_sqlite_intact(store)


def on_connect(store, pragma):
    """Run ``pragma`` on every new connection of the store (closing the ones it has)."""

    def run(dbapi_conn, _record):
        dbapi_conn.execute(pragma(dbapi_conn) if callable(pragma) else pragma)

    event.listen(store.engine, "connect", run)
    store.engine.dispose()
    return lambda: (event.remove(store.engine, "connect", run), store.engine.dispose())


FULL = (
    "the disk is full (database or disk is full); nothing of this change was stored: free space on the "
    "disk that holds the database, then try again"
)


@sqlite_only("SQLite's page limit stands in for a full disk")
def test_a_full_database_is_a_clear_error_and_leaves_everything_as_it_was(store, make_mention):
    store.save_page("x-search", big_page(make_mention, 1, 3), [], {"page": 1}, NOW)
    undo = on_connect(
        store, lambda c: f"PRAGMA max_page_count={c.execute('PRAGMA page_count').fetchone()[0] + 2}"
    )
    with pytest.raises(StorageError) as err:
        store.save_page("x-search", big_page(make_mention, 4, 50), [], {"page": 2}, NOW)
    assert isinstance(err.value, StorageFull) and str(err.value) == f"database {store.url}: {FULL}"
    assert_left_as_it_was(store, ["1", "2", "3"], {"page": 1})
    undo()
    store.save_page("x-search", big_page(make_mention, 4, 50), [], {"page": 2}, NOW)
    assert_left_as_it_was(store, [str(i) for i in range(1, 54)], {"page": 2})


@sqlite_only("SQLite's query_only stands in for a disk gone read-only")
def test_a_read_only_database_is_a_clear_error_reads_go_on_and_nothing_changes(store, make_mention):
    store.save_page("x-search", big_page(make_mention, 1, 3), [], {"page": 1}, NOW)
    undo = on_connect(store, "PRAGMA query_only=1")
    with pytest.raises(StorageError) as err:
        store.save_page("x-search", big_page(make_mention, 4, 5), [], {"page": 2}, NOW)
    assert isinstance(err.value, StorageReadOnly)
    assert str(err.value) == (
        f"cannot write database {store.url} (attempt to write a readonly database): the file, its folder "
        "or its disk is read-only; nothing of this change was stored: make it writable or point "
        "REPMON_DATA_DIR elsewhere"
    )
    assert store.counts().mentions == 3  # the dashboard can still read
    undo()
    assert_left_as_it_was(store, ["1", "2", "3"], {"page": 1})


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB filesystem (tmpfs) on a folder; mounting needs root (CAP_SYS_ADMIN)."""
    if ON_POSTGRESQL:
        pytest.skip("SQLite only: the database file on a small disk")
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a 2 MB tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "repmon-test", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(path):
    """Write zeros to ``path`` until the disk says it is full."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.strerror == "No space left on device"
    try:
        with open(path, "ab", buffering=0) as f:
            while True:
                f.write(b"\0" * 512)
    except OSError:
        pass


def test_a_really_full_disk_is_a_clear_error_nothing_is_half_written_and_freeing_it_recovers(
    small_disk, make_mention
):
    store = Store.open(small_disk / "data")
    try:
        store.save_page("x-search", big_page(make_mention, 1, 3), [], {"page": 1}, NOW)
        fill(small_disk / "filler")
        with pytest.raises(StorageError) as err:
            store.save_page("x-search", big_page(make_mention, 4, 30), [], {"page": 2}, NOW)
        assert str(err.value) == f"database {store.url}: {FULL}"
        assert_left_as_it_was(store, ["1", "2", "3"], {"page": 1})
        (small_disk / "filler").unlink()
        store.save_page("x-search", big_page(make_mention, 4, 30), [], {"page": 2}, NOW)
        assert_left_as_it_was(store, [str(i) for i in range(1, 34)], {"page": 2})
    finally:
        store.engine.dispose()


def test_a_really_read_only_disk_is_a_clear_error_and_the_database_survives(small_disk, make_mention):
    store = Store.open(small_disk / "data")
    store.save_page("x-search", big_page(make_mention, 1, 3), [], {"page": 1}, NOW)
    store.engine.dispose()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StorageError) as err:
        store.save_page("x-search", big_page(make_mention, 4, 5), [], {"page": 2}, NOW)
    assert str(err.value) == (
        f"cannot open database {store.url} (unable to open database file): its folder is missing, not "
        "writable or on a read-only disk: check REPMON_DATA_DIR"
    )
    with pytest.raises(StorageError, match=r"data directory .* is not writable \(Read-only file system\)"):
        Store.open(small_disk / "data")  # starting on a read-only disk says so at once
    store.engine.dispose()
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert_left_as_it_was(store, ["1", "2", "3"], {"page": 1})
    store.engine.dispose()
