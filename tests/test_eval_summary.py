"""scripts/eval_summary.py --compare: the multi-seed decision rule that keeps or drops a corpus change."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "eval_summary.py"


@pytest.fixture(scope="module")
def summary():
    spec = importlib.util.spec_from_file_location("eval_summary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _label(f1: float) -> dict[str, float]:
    return {"precision": f1, "recall": f1, "f1": f1, "support": 10}


def _write_run(folder: Path, *, he_def: float, hebert: float, hebert_alarm: float) -> Path:
    folder.mkdir(parents=True)
    base = {"n": 10, "legal_alarm_rate": 0.0, "macro_f1": 0.8}
    reports = {
        "heldout.json": {**base},
        "realstyle.json": {**base, "by_lang": {"he": {"labels": {"defamation": _label(he_def)}}}},
        "hebrew-sentiment-dev.json": {**base, "labels": {"negative": _label(0.73)}},
        "hebert-test_insample.json": {
            **base,
            "legal_alarm_rate": hebert_alarm,
            "labels": {"negative": _label(hebert)},
        },
        "tonic-dev.json": {**base, "scores": {"defamation": {"auc": 0.83}}},
        "davidson-dev.json": {**base, "labels": {"attack": _label(0.96)}},
        "complaints-en-dev.json": {**base, "labels": {"negative": _label(0.72)}},
    }
    for name, report in reports.items():
        (folder / name).write_text(json.dumps(report), encoding="utf-8")
    return folder


def test_compare_keeps_a_change_only_when_every_mean_passes(summary, tmp_path: Path, capsys) -> None:
    before = [
        _write_run(tmp_path / "b0", he_def=0.69, hebert=0.850, hebert_alarm=0.030),
        _write_run(tmp_path / "b1", he_def=0.70, hebert=0.840, hebert_alarm=0.030),
    ]
    # One seed loses a point on HeBERT, the other gains: the means are within half a point.
    good = [
        _write_run(tmp_path / "g0", he_def=0.80, hebert=0.835, hebert_alarm=0.035),
        _write_run(tmp_path / "g1", he_def=0.81, hebert=0.850, hebert_alarm=0.035),
    ]
    assert summary.compare([("before", before), ("after", good)]) is True
    assert "Keep the change: yes" in capsys.readouterr().out

    # The HeBERT legal alarm rises by 1.5 points on average: dropped, and the table says which check failed.
    alarming = [
        _write_run(tmp_path / "a0", he_def=0.80, hebert=0.850, hebert_alarm=0.045),
        _write_run(tmp_path / "a1", he_def=0.81, hebert=0.850, hebert_alarm=0.045),
    ]
    assert summary.compare([("before", before), ("after", alarming)]) is False
    out = capsys.readouterr().out
    assert "| legal alarm, HeBERT test_insample (lower is better) | 3.0 | 4.5 | +1.5 | +1.0 | **no** |" in out
    assert "Keep the change: no" in out

    # No gain on the Hebrew defamation F1: dropped, whatever else holds.
    flat = [
        _write_run(tmp_path / "f0", he_def=0.69, hebert=0.850, hebert_alarm=0.030),
        _write_run(tmp_path / "f1", he_def=0.70, hebert=0.840, hebert_alarm=0.030),
    ]
    assert summary.compare([("before", before), ("after", flat)]) is False


def test_summary_prints_complaints_per_domain(summary, tmp_path: Path, capsys) -> None:
    run = _write_run(tmp_path / "run", he_def=0.7, hebert=0.85, hebert_alarm=0.03)
    report = json.loads((run / "complaints-en-dev.json").read_text(encoding="utf-8"))
    report["by_domain"] = {
        "apparel": {"n": 20, "accuracy": 0.8, "labels": {"negative": _label(0.81)}},
        "random_tweet": {
            "n": 40,
            "accuracy": 0.75,
            "labels": {"negative": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}},
        },
    }
    (run / "complaints-en-dev.json").write_text(json.dumps(report), encoding="utf-8")
    summary.main(run)
    out = capsys.readouterr().out
    assert "(measuring only), apparel | 20 | 0.810 (P 0.81, R 0.81) | |" in out
    assert "random_tweet (no complaints) | 40 | 25.0% read as a complaint | |" in out
