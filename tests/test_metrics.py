from classifiers.metrics import multilabel_report, single_label_report


def test_single_label_report_values():
    gold = ["complaint", "complaint", "praise", "boycott"]
    pred = ["complaint", "praise", "praise", "boycott"]
    rep = single_label_report(gold, pred, ["complaint", "praise", "boycott"])
    assert rep.as_dict() == {
        "n": 4,
        "accuracy": 0.75,
        "macro_f1": round((2 / 3 + 2 / 3 + 1.0) / 3, 4),
        "labels": {
            "complaint": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2},
            "praise": {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1},
            "boycott": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
        },
    }


def test_multilabel_report_counts_each_label():
    gold = [["defamation", "boycott"], ["complaint"]]
    pred = [["defamation"], ["complaint", "boycott"]]
    rep = multilabel_report(gold, pred, ["complaint", "defamation", "boycott"]).as_dict()
    assert rep["labels"]["boycott"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert rep["labels"]["defamation"]["f1"] == 1.0
    assert rep["accuracy"] == 0.0
    assert "macro-F1" in multilabel_report(gold, pred, ["complaint"]).table()


def test_binary_f1_counts_hits_misses_and_false_flags():
    from classifiers.metrics import binary_f1

    gold = [True, True, False, False]
    assert binary_f1(gold, [True, False, True, False]) == 0.5  # P 1/2, R 1/2
    assert binary_f1(gold, [False] * 4) == 0.0
    assert binary_f1(gold, gold) == 1.0


def test_a_probe_report_with_a_focus_counts_the_score_the_triage_uses_not_the_primary_label():
    from classifiers.evaluation import probe_report
    from classifiers.model import Prediction

    def pred(label: str, boycott: float) -> Prediction:
        return Prediction(label, {"complaint": 0.4, "boycott": boycott}, "en", "v")

    probes = [("call a", "boycott"), ("call b", "boycott"), ("news", "neutral"), ("gripe", "complaint")]
    # call a: primary complaint but boycott 0.7 (legal sees it); call b missed; the gripe is a false alarm
    preds = [pred("complaint", 0.7), pred("boycott", 0.3), pred("neutral", 0.1), pred("complaint", 0.55)]
    lines = probe_report(probes, preds, focus="boycott").splitlines()
    assert lines[-2] == (
        "boycott score >= 0.5: 1 of 2 boycott posts, 1 of 2 others (precision 0.50, recall 0.50, F1 0.500)"
    )
    assert lines[-1] == "3 of 4 read as the guide says"  # primary labels: call b, the news, the gripe
    assert not any(line.startswith("boycott score") for line in probe_report(probes, preds).splitlines())
