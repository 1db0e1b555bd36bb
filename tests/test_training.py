"""Corpus reading, thresholds and the primary label (the fine-tuning itself: tests/test_finetune.py)."""

import numpy as np
import pytest

from classifiers.model import primary_label
from classifiers.training import (
    CorpusError,
    Example,
    choose_thresholds,
    load_examples,
    multi_hot,
    predicted_sets,
)

LABELS = ("praise", "neutral", "complaint", "defamation", "boycott")


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


def test_predicted_sets_are_the_labels_over_threshold_or_else_the_top_one():
    thresholds = {"praise": 0.5, "neutral": 0.5, "complaint": 0.5, "defamation": 0.4, "boycott": 0.6}
    probs = np.array([[0.1, 0.2, 0.3, 0.45, 0.7], [0.3, 0.1, 0.2, 0.1, 0.1]])
    assert predicted_sets(probs, LABELS, thresholds) == [["defamation", "boycott"], ["praise"]]
