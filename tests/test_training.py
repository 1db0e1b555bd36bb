"""Head training, thresholds and the primary label, on small synthetic embeddings (no encoder)."""

import json

import numpy as np
import pytest

from classifiers.head import Head
from classifiers.model import primary_label
from classifiers.training import (
    CorpusError,
    Example,
    choose_thresholds,
    load_examples,
    multi_hot,
    predicted_sets,
    train,
)

LABELS = ("praise", "neutral", "complaint", "defamation", "boycott")


def fake_embed(texts):
    """Each label word lights up its own direction, so the right answer is known."""
    out = np.zeros((len(texts), 16), dtype=np.float32)
    for i, t in enumerate(texts):
        for j, lab in enumerate(LABELS):
            if lab in t:
                out[i, j] = 1.0
        out[i, 8 + (i % 8)] = 0.3  # noise
    return out


def examples():
    rows = []
    for i in range(30):
        for lab in LABELS:
            rows.append(Example(f"{lab} post {i}", (lab,), "en", "shop"))
        rows.append(Example(f"defamation and boycott {i}", ("defamation", "boycott"), "en", "shop"))
    return rows


def test_train_learns_a_separable_problem_and_round_trips(tmp_path):
    head, report = train(fake_embed, examples(), LABELS, encoder="fake", encoder_version="fake@1")
    assert report.macro_f1 > 0.95
    head.save(tmp_path)
    again = Head.load(tmp_path)
    x = fake_embed(["boycott x", "praise y", "defamation and boycott z"])
    np.testing.assert_allclose(again.probabilities(x), head.probabilities(x), rtol=1e-6)
    sets = predicted_sets(again.probabilities(x), LABELS, again.config.thresholds)
    assert sets == [["boycott"], ["praise"], ["defamation", "boycott"]]
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["id2label"] == {str(i): lab for i, lab in enumerate(LABELS)}
    assert cfg["trained_on"]["examples"] == 180


def test_choose_thresholds_maximises_f1():
    probs = np.array([[0.9], [0.7], [0.35], [0.3], [0.1]])
    y = np.array([[1], [1], [1], [0], [0]], dtype=np.float32)
    assert choose_thresholds(probs, y, ["complaint"]) == {"complaint": 0.35}


def test_primary_label_prefers_labels_over_their_threshold():
    thresholds = {"complaint": 0.7, "defamation": 0.4, "boycott": 0.5}
    assert primary_label({"complaint": 0.65, "defamation": 0.45, "boycott": 0.1}, thresholds) == "defamation"
    assert primary_label({"complaint": 0.3, "defamation": 0.2, "boycott": 0.1}, thresholds) == "complaint"
    assert primary_label({"complaint": 0.9, "defamation": 0.8, "boycott": 0.6}, thresholds) == "complaint"


def test_multi_hot():
    y = multi_hot([Example("t", ("defamation", "boycott"), "he", "bank")], LABELS)
    assert y.tolist() == [[0, 0, 0, 1, 1]]


def test_bad_corpus_line_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "labels": ["praise"]}\n{"text": "x", "labels": ["angry"]}\n')
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: needs a text and labels"):
        load_examples([bad], LABELS)
    bad.write_text("{not json\n")
    with pytest.raises(CorpusError, match=r"bad.jsonl:1: not a valid example"):
        load_examples([bad], LABELS)
