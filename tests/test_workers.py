"""`repmon worker`: concurrent workers share the backlog and process each mention exactly once; one
holder polls a source at a time."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from conftest import NOW, FakeClassifier
from sqlalchemy import func, select

from monitor.storage.models import ClassificationRow, TriageItemRow
from monitor.worker import Worker


def on_postgresql() -> bool:
    return os.environ.get("REPMON_DATABASE_URL", "").startswith("postgresql")


class ThreadSafeFake(FakeClassifier):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def predict(self, texts):
        with self.lock:
            return super().predict(texts)


def _backlog(store, make_mention, n):
    mentions = [make_mention(external_id=f"w{i}", text=f"complaint number {i}") for i in range(n)]
    for i in range(0, n, 500):
        store.save_page("import-x", mentions[i : i + 500], [], None, NOW)


def _counts(store):
    with store.session() as s:
        per_mention = s.execute(
            select(ClassificationRow.mention_id, func.count()).group_by(ClassificationRow.mention_id)
        ).all()
        items = s.scalar(select(func.count(TriageItemRow.id)))
    return per_mention, items


def test_one_worker_processes_the_backlog_then_exits_when_idle(store, make_mention):
    _backlog(store, make_mention, 600)
    worker = Worker(store, FakeClassifier(), batch=256, clock=lambda: NOW)
    assert worker.run(exit_when_idle=True) == 600
    per_mention, items = _counts(store)
    assert len(per_mention) == 600 and {c for _, c in per_mention} == {1} and items == 600
    assert Worker(store, FakeClassifier(), clock=lambda: NOW).run(exit_when_idle=True) == 0


def test_four_workers_in_threads_take_disjoint_batches(store, make_mention):
    if not on_postgresql():
        pytest.skip(
            "SKIP LOCKED is PostgreSQL's; on SQLite one writer at a time (run with TEST_DATABASE=postgresql)"
        )
    _backlog(store, make_mention, 2000)
    clf = ThreadSafeFake()
    workers = [Worker(store, clf, batch=100, clock=lambda: NOW) for _ in range(4)]
    threads = [threading.Thread(target=w.run, kwargs={"exit_when_idle": True}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(w.processed for w in workers) == 2000
    assert sum(1 for w in workers if w.processed) >= 2  # the work really was shared
    per_mention, items = _counts(store)
    assert len(per_mention) == 2000 and {c for _, c in per_mention} == {1} and items == 2000
    assert len(clf.seen) == 2000  # no mention was even classified twice


def test_four_workers_classify_each_edit_made_on_the_platform_once(store, make_mention):
    """300 posts, each re-read with an edited text: the workers read the captures and classify each edited
    version exactly once between them (SKIP LOCKED on PostgreSQL; one writer at a time on SQLite)."""
    from monitor.records import Capture, RawPayload
    from monitor.storage.models import EditClassificationRow, PostEditRow

    _backlog(store, make_mention, 300)
    Worker(store, FakeClassifier(), clock=lambda: NOW).run(exit_when_idle=True)
    edits = [
        Capture(
            "x", f"w{i}", RawPayload(json.dumps({"id": f"w{i}", "text": f"defamation {i}"}).encode(), NOW)
        )
        for i in range(300)
    ]
    store.save_page("x-metrics", [], [], None, NOW, (), edits)
    clf = ThreadSafeFake()
    workers = [Worker(store, clf, batch=25, clock=lambda: NOW) for _ in range(4 if on_postgresql() else 1)]
    threads = [threading.Thread(target=w.run, kwargs={"exit_when_idle": True}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(clf.seen) == sorted(f"defamation {i}" for i in range(300))  # each edit classified once
    with store.session() as s:
        assert s.scalar(select(func.count(PostEditRow.id))) == 300
        assert s.scalar(select(func.count(EditClassificationRow.id))) == 300
    assert {q.label for q in store.queue(limit=500)} == {"defamation"}
    assert store.verify() == []


def test_a_source_is_polled_by_one_holder_at_a_time(store):
    held = []
    with store.source_lock("x-search") as first:
        with store.source_lock("x-search") as second, store.source_lock("facebook") as other:
            held = [first, second, other]
    with store.source_lock("x-search") as again:
        held.append(again)
    assert held == [True, False, True, True]


def test_workers_skip_a_source_another_holder_is_polling(store, make_mention):
    class Counting:
        name = "x-search"
        min_interval = None
        calls = 0

        def fetch(self, cursor, now):
            Counting.calls += 1
            return iter(())

    worker = Worker(store, FakeClassifier(), sources=[Counting()], clock=lambda: NOW)
    with store.source_lock("x-search") as held:
        assert held
        worker.poll()
    assert Counting.calls == 0
    worker.poll()
    assert Counting.calls == 1


def _tweet(i):
    return {
        "id": str(10**15 + i),
        "text": f"the coffee at branch {i % 7} was cold #{i}",
        "author_id": str(i % 97),
        "created_at": (NOW - timedelta(minutes=i % 600)).isoformat().replace("+00:00", "Z"),
        "lang": "en",
        "public_metrics": {"like_count": i % 5, "retweet_count": 0, "reply_count": 0, "quote_count": 0},
    }


def _x_response(start, n):
    return {
        "data": [_tweet(i) for i in range(start, start + n)],
        "includes": {"users": [{"id": str(u), "username": f"user{u}", "name": f"User {u}",
                                "public_metrics": {"followers_count": 100 + u}} for u in range(97)]},
        "meta": {"result_count": n},
    }  # fmt: skip


@pytest.mark.slow
def test_four_worker_processes_over_20000_imported_mentions_each_exactly_once(tmp_path):
    if not on_postgresql():
        pytest.skip("workers share work through PostgreSQL (run with TEST_DATABASE=postgresql)")
    env = {**os.environ, "REPMON_DATA_DIR": str(tmp_path / "data"), "REPMON_THREADS": "1"}
    files = []
    for k in range(20):
        path = tmp_path / f"x-{k:02d}.json"
        path.write_text(json.dumps(_x_response(k * 1000, 1000)), encoding="utf-8")
        files.append(str(path))
    cli = [sys.executable, "-m", "monitor.cli"]
    done = subprocess.run(
        [*cli, "import", "--platform", "x", "--defer", *files],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["new_mentions"] == 20_000
    t0 = time.monotonic()
    procs = [
        subprocess.Popen([*cli, "worker", "--exit-when-idle", "--no-poll", "--batch", "200"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]  # fmt: skip
    outs = [p.communicate(timeout=1200) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [e for _, e in outs]
    counts = [int(out.strip().splitlines()[-1].split()[1]) for out, _ in outs]
    assert all(out.strip().splitlines()[-1] == f"processed {c} items" for (out, _), c in zip(outs, counts))
    assert sum(counts) == 20_000 and sum(1 for c in counts if c) >= 2, counts
    from monitor.storage import Store

    store = Store.open(tmp_path / "data", os.environ["REPMON_DATABASE_URL"])
    per_mention, items = _counts(store)
    assert len(per_mention) == 20_000 and {c for _, c in per_mention} == {1} and items == 20_000
    print(f"4 workers, 20,000 mentions: {time.monotonic() - t0:.0f} s, per worker {counts}")
