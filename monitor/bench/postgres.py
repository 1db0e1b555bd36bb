# ruff: noqa: E501 - the worker command reads best on one line
"""`repmon bench all`'s PostgreSQL parts: storing mentions into PostgreSQL, and 1, 2 and 4 `repmon worker`
processes draining the same imported backlog. ``cluster`` is a throwaway local PostgreSQL server (the
test suite's ``tests/support/pgcluster.py``: ``create_database``, ``drop_database``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.bench import checkout_root
from monitor.errors import BenchError

CLI = [sys.executable, "-m", "monitor.cli"]


def repmon_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`repmon ARGS` in a process of its own; its stdout read as JSON."""
    done = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=checkout_root(), env=env or os.environ.copy()
    )
    if done.returncode != 0:
        raise BenchError(f"repmon {' '.join(args)} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def x_response(start: int, n: int, now: datetime) -> dict[str, Any]:
    """A saved X search response of ``n`` posts, ids from ``start`` on."""
    texts = [
        "the coffee at the Dizengoff branch was cold again, third time this week",
        "הזמנתי משלוח לפני שעתיים וזה עדיין לא הגיע, שירות גרוע",
        "they charged my card twice and refuse to refund, this is fraud",
        "great service today, thanks to the staff at the port branch!",
        "מחר נפתח סניף חדש בחיפה, מישהו יודע מתי?",
    ]
    return {
        "data": [
            {
                "id": str(10**15 + i),
                "text": f"{texts[i % len(texts)]} #{i}",
                "author_id": str(i % 211),
                "created_at": (now - timedelta(minutes=i % 900)).isoformat().replace("+00:00", "Z"),
                "lang": "he" if i % 5 in (1, 4) else "en",
                "public_metrics": {
                    "like_count": i % 9,
                    "retweet_count": i % 3,
                    "reply_count": 0,
                    "quote_count": 0,
                },
            }
            for i in range(start, start + n)
        ],
        "includes": {
            "users": [
                {
                    "id": str(u),
                    "username": f"user{u}",
                    "name": f"User {u}",
                    "public_metrics": {"followers_count": 50 * u},
                }
                for u in range(211)
            ]
        },
        "meta": {"result_count": n},
    }


def bench_ingest_pg(cluster: Any, n: int) -> dict[str, Any]:
    """Seconds and mentions per second to store ``n`` mentions page by page into PostgreSQL."""
    from monitor.bench.pipeline import synthetic_mentions
    from monitor.storage import Store

    now = datetime.now(UTC)
    url = cluster.create_database("bench_ingest")
    # the data folder holds the audit key and checkpoint even with a PostgreSQL URL: a throwaway one
    with tempfile.TemporaryDirectory(prefix="repmon-bench-pg-") as data:
        store = Store.open(Path(data), url)
        mentions = synthetic_mentions(["a post about the café", "פוסט על בית הקפה"], n, now)
        t0 = time.perf_counter()
        for i in range(0, n, 1000):
            store.save_page("bench", mentions[i : i + 1000], [], {"offset": i + 1000}, now)
        elapsed = time.perf_counter() - t0
        store.engine.dispose()
    cluster.drop_database("bench_ingest")
    return {"mentions": n, "seconds": round(elapsed, 2), "mentions_per_s": round(n / elapsed)}


def bench_workers(cluster: Any, n: int, counts: tuple[int, ...]) -> dict[str, Any]:
    """Posts per second of 1, 2, 4... workers draining the same imported backlog of ``n`` posts."""
    now = datetime.now(UTC)
    out: dict[str, Any] = {"backlog": n}
    with tempfile.TemporaryDirectory(prefix="repmon-bench-workers-") as tmp:
        files = []
        for k in range(0, n, 1000):
            path = Path(tmp) / f"x-{k}.json"
            path.write_text(json.dumps(x_response(k, min(1000, n - k), now)), encoding="utf-8")
            files.append(str(path))
        for workers in counts:
            name = f"bench_workers_{workers}"
            url = cluster.create_database(name)
            env = {**os.environ, "REPMON_DATABASE_URL": url, "REPMON_DATA_DIR": tmp, "REPMON_THREADS": "1"}
            imported = repmon_json("import", "--platform", "x", "--defer", *files, env=env)
            assert imported["new_mentions"] == n, imported
            t0 = time.perf_counter()
            procs = [
                subprocess.Popen([*CLI, "worker", "--exit-when-idle", "--no-poll", "--batch", "128"], cwd=checkout_root(),
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(workers)
            ]  # fmt: skip
            outs = [p.communicate(timeout=3600) for p in procs]
            elapsed = time.perf_counter() - t0
            processed = [int(o.strip().splitlines()[-1].split()[1]) for o, _ in outs]
            if sum(processed) != n:
                raise BenchError(f"{workers} workers processed {processed}, not {n} in all")
            out[f"workers_{workers}"] = {
                "seconds": round(elapsed, 1),
                "posts_per_s": round(n / elapsed, 1),
                "per_worker": processed,
            }
            cluster.drop_database(name)
    base = out.get(f"workers_{counts[0]}")
    for workers in counts[1:]:
        if base:
            out[f"speedup_{workers}"] = round(
                out[f"workers_{workers}"]["posts_per_s"] / base["posts_per_s"], 2
            )
    return out
