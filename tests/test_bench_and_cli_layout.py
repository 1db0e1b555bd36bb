"""Where the CLI and the benchmarks live: `monitor/cli/` (one module per command group) and
`monitor/bench/` (installed with the product), and the pure parts of `repmon evaluate` and `bench all`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from setuptools import find_packages

from classifiers.evaluation import calibration_text, evaluate, map_gold
from classifiers.model import Prediction
from monitor.bench.run import END, START, readme_with_table, results_markdown
from monitor.cli import build_parser

ROOT = Path(__file__).parents[1]
LABELS = ("praise", "neutral", "complaint", "defamation", "boycott")


def test_the_cli_and_the_benchmarks_are_installed_packages():
    packages = find_packages(str(ROOT), include=["monitor*", "classifiers*", "dashboard*", "playbooks*"])
    assert {"monitor.cli", "monitor.bench"} <= set(packages)
    assert not (ROOT / "monitor" / "cli.py").exists() and not (ROOT / "dashboard" / "bench.py").exists()


@pytest.mark.parametrize("package", ["monitor", "classifiers", "dashboard", "playbooks"])
def test_no_module_of_the_product_is_over_500_lines(package):
    """Issue 15's bound, for every module of the product (migrations aside: they are history)."""
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    }
    assert sizes
    assert {name: n for name, n in sizes.items() if n > 500} == {}


def test_every_command_has_its_handler_in_its_own_module():
    """Each subcommand's handler is defined in the module of `monitor/cli/` that defines its parser."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, command in sub.choices.items():
        func = command.get_default("func")
        if func is None:  # a group (bench): its subcommands carry the handler
            inner = next(a for a in command._actions if a.__class__.__name__ == "_SubParsersAction")
            func = next(iter(inner.choices.values())).get_default("func")
        assert func.__module__.startswith("monitor.cli."), name


def test_the_benchmark_table_is_the_one_in_bench_results():
    """bench/RESULTS.md is what ``monitor.bench.run`` makes of bench/results.json, and the README holds it."""
    results = json.loads((ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
    md = results_markdown(results)
    assert md == (ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_table(readme, md) == readme


def test_the_readme_table_is_replaced_between_the_markers_only():
    text = f"head\n{START}\nold table\n{END}\ntail\n"
    assert readme_with_table(text, "new\n") == f"head\n{START}\nnew\n{END}\ntail\n"
    assert readme_with_table("no markers\n", "new\n") == "no markers\n"


def test_bench_run_py_is_a_thin_wrapper_that_runs_from_a_checkout():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--help"], capture_output=True, text=True, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    assert "--workers-backlog" in done.stdout and "<!-- bench:start -->" in done.stdout


def _pred(label, **scores):
    full = dict.fromkeys(LABELS, 0.05) | {label: 0.9} | scores
    return Prediction(label, full, "en", "fake")


def test_evaluate_maps_gold_onto_groups_and_scores_single_label_gold():
    rows = [
        {"text": "a", "gold": "pos", "lang": "en"},
        {"text": "b", "gold": "neg", "lang": "he"},
        {"text": "c", "gold": "???", "lang": "en"},
        {"text": "d", "gold": "neg", "lang": "en"},
    ]
    groups = {"complaint": "negative", "defamation": "negative"}
    data = map_gold(
        rows,
        text_column="text",
        label_column="gold",
        mapping={"pos": "praise", "neg": "negative"},
        groups=groups,
        targets={*LABELS, "negative"},
        by="lang",
    )
    assert (data.texts, data.gold, data.keys, data.skipped) == (
        ["a", "b", "d"],
        [["praise"], ["negative"], ["negative"]],
        ["en", "he", "en"],
        1,
    )
    assert not data.multi and data.sample(None, 0) is data and len(data.sample(2, 0).texts) == 2
    preds = [_pred("praise"), _pred("defamation"), _pred("neutral")]
    result = evaluate(preds, data, labels=LABELS, groups=groups, by=True)
    assert result.overall.n == 3 and result.overall.accuracy == pytest.approx(2 / 3)
    assert set(result.by) == {"en", "he"} and result.by["he"].accuracy == 1.0
    assert result.calibration["legal_alarms"] == 1 and result.calibration["legal_alarm_rate"] == 0.3333
    assert set(result.calibration["scores"]) == {"praise", "negative"}
    assert "legal alarm: 1 posts (33.3 %)" in calibration_text(result.calibration)


def test_the_postgresql_bench_finds_the_test_suites_cluster_helper(monkeypatch):
    """`repmon bench all` borrows the throwaway server of ``tests/support/pgcluster.py``."""
    import support.pgcluster

    from monitor.bench import run

    def unavailable() -> None:
        raise support.pgcluster.ClusterUnavailable("no PostgreSQL here\nhow to install it")

    monkeypatch.setattr(support.pgcluster, "Cluster", unavailable)
    results: dict = {"not_run": {}}
    run._postgres(results, quick=True, workers_backlog=10)
    assert results["not_run"] == {"PostgreSQL": "no PostgreSQL here"}
