"""The real default classifier (converted e5 + committed head) on Hebrew and English posts."""

import pytest

from classifiers import LABELS, Prediction
from classifiers.training import TEST_FILE, load_examples

pytestmark = pytest.mark.slow


def test_predict_always_returns_a_list(classifier):
    assert classifier.predict([]) == []
    [one] = classifier.predict(["great service, thank you!"])
    assert isinstance(one, Prediction)
    assert set(one.scores) == set(LABELS)
    assert all(0.0 <= s <= 1.0 for s in one.scores.values())
    assert one.model_version == classifier.model_version
    assert classifier.model_version.startswith("repmon-head-")


def test_labels_come_from_the_head_config(classifier):
    assert classifier.labels == LABELS
    assert tuple(classifier.head.config.id2label[i] for i in range(5)) == LABELS


CLEAR_POSTS = [
    ("תודה רבה לצוות בסניף, שירות מדהים ואדיבות יוצאת דופן ❤️", "praise"),
    ("Thank you so much to the staff, amazing service and so kind ❤️", "praise"),
    ("באיזה שעות אתם פתוחים ביום שישי?", "neutral"),
    ("What time do you open on Friday?", "neutral"),
    ("חיכיתי שעה וחצי למשלוח והאוכל הגיע קר. מאכזב מאוד", "complaint"),
    ("Waited an hour and a half for delivery and the food arrived cold. Very disappointing", "complaint"),
    ("הם גובים מהכרטיס פעמיים בכוונה, זו הונאה לכל דבר", "defamation"),
    ("They charge your card twice on purpose, this is outright fraud", "defamation"),
    ("אל תקנו שם! תחרימו אותם ותעבירו הלאה #חרם", "boycott"),
    ("Don't buy from them! Boycott them and tell everyone you know #BoycottThem", "boycott"),
]


def test_clear_hebrew_and_english_posts(classifier):
    preds = classifier.predict([t for t, _ in CLEAR_POSTS])
    misses = [(t, want, p.label) for (t, want), p in zip(CLEAR_POSTS, preds) if p.label != want]
    # One miss is tolerated (the model card lists the known weak spots); two mean a regression.
    assert len(misses) <= 1, misses
    assert [p.language for p in preds] == ["he", "en"] * 5


def test_defamation_with_boycott_scores_both(classifier):
    [p] = classifier.predict(["המסעדה מוכרת בשר מקולקל ומחליפים תוויות תוקף. אל תאכלו שם ותשתפו!"])
    assert p.label in {"defamation", "boycott"}
    assert p.scores["defamation"] >= classifier.thresholds["defamation"]
    assert p.scores["boycott"] >= classifier.thresholds["boycott"]


def test_bad_inputs_never_break_the_batch(classifier):
    texts = [
        "",
        "   \n\t ",
        "😡😡😡",
        "השירות גרוע " * 10_000,  # ~120 KB
        "bad\x00byte in the text, terrible service",
        "lone \ud800 surrogate",
        "\u200f\u200eשלום\u200b עולם",
        None,
        42,
        "service was bad",
    ]
    preds = classifier.predict(texts)
    assert len(preds) == len(texts)
    assert [p.language for p in preds] == ["und", "und", "und", "he", "en", "en", "he", "und", "und", "en"]
    assert preds[0].label == preds[1].label == "neutral"
    assert preds[0].notes == ("no words to classify",)
    assert preds[3].notes == (
        "text longer than 20,000 characters: only the start was read",
        "very long post: only its first 3,056 tokens were read",  # 16 windows of 256 (long_posts: windows)
    )
    assert preds[4].notes == ("control characters removed",)
    assert preds[5].notes == ("invalid Unicode (lone surrogates) replaced",)
    assert preds[7].notes == ("no text",)
    assert preds[9].label == "complaint"
    # the same post gives the same answer alone and inside a batch with bad neighbours
    # (bf16 kernels round differently for other batch shapes: within 0.01)
    [alone] = classifier.predict(["service was bad"])
    assert alone.label == preds[9].label
    assert alone.scores == pytest.approx(preds[9].scores, abs=1e-2)


def test_heldout_quality_floor(classifier):
    """A regression guard: the numbers in the model card must not silently fall."""
    from classifiers.metrics import single_label_report

    examples = load_examples([TEST_FILE], LABELS)
    preds = classifier.predict([ex.text for ex in examples])
    gold = [ex.labels[0] for ex in examples]
    ok = [p.label in ex.labels for p, ex in zip(preds, examples)]
    assert sum(ok) / len(ok) >= 0.70
    report = single_label_report(gold, [p.label for p in preds], LABELS)
    assert report.macro_f1 >= 0.65


# A personal decision not to return. Not the bare word "never" ("the pharmacy never has my meds" is a plain
# complaint, counted with the other plain posts).
NEVER_AGAIN = (
    "never again",
    "never coming back",
    "never going back",
    "not going back",
    "not coming back",
    "לא חוזר",
)


def test_legal_routing_on_the_real_style_test_file(classifier):
    """Issue 12, point 5: a plain complaint, a personal "never again" or a question stays out of legal; a
    call or a factual accusation reaches it (a defamation or boycott score of 0.5 or more). Measured on the
    test file written by another hand and never trained on (1.6 % and 76 % when this test was written; 3.1 %
    and 87 % with the model trained on the Hebrew accusation files)."""
    from classifiers import LABELS
    from classifiers.training import REALSTYLE_TEST_FILE, load_examples

    examples = load_examples([REALSTYLE_TEST_FILE], LABELS)
    preds = classifier.predict([ex.text for ex in examples])
    to_legal = [max(p.scores["defamation"], p.scores["boycott"]) >= 0.5 for p in preds]
    plain = [
        (ex, legal) for ex, legal in zip(examples, to_legal) if not {"defamation", "boycott"} & set(ex.labels)
    ]
    serious = [legal for ex, legal in zip(examples, to_legal) if {"defamation", "boycott"} & set(ex.labels)]
    never_again = [
        legal
        for ex, legal in plain
        if ex.labels == ("complaint",) and any(w in ex.text.lower() for w in NEVER_AGAIN)
    ]
    questions = [legal for ex, legal in plain if "?" in ex.text]
    assert len(never_again) >= 5 and len(questions) >= 50
    assert sum(legal for _ex, legal in plain) / len(plain) <= 0.04
    assert not any(never_again)
    assert sum(questions) / len(questions) <= 0.02
    assert sum(serious) / len(serious) >= 0.70


@pytest.mark.parametrize(
    ("script", "n_probes"),
    [("probe_short_posts", 14), ("probe_accusations", 64), ("probe_boycott_words", 80)],
)
def test_probe_scripts_print_every_probe_and_counts(classifier, monkeypatch, capsys, script, n_probes):
    """The probe scripts the model card cites (short posts; accusations without the fraud words) run on
    the committed model by default and count right: per guide label, then in all on the last line."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / f"{script}.py"
    spec = importlib.util.spec_from_file_location(script, path)
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    loaded = []

    def load(head_dir=None):
        loaded.append(head_dir)
        return classifier

    monkeypatch.setattr(probe, "configured_classifier", load)
    assert probe.main([]) == 0
    assert loaded == [None]  # no HEAD_DIR: the committed model
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| post")]
    assert len(rows) == len(probe.PROBES) == n_probes
    hits = [line.split(" | ")[1] == line.split(" | ")[2] for line in rows]
    assert out.rstrip().endswith(f"{sum(hits)} of {n_probes} read as the guide says")
    for gold in {line.split(" | ")[1] for line in rows}:
        right = sum(h for h, line in zip(hits, rows) if line.split(" | ")[1] == gold)
        total = sum(line.split(" | ")[1] == gold for line in rows)
        assert f"  {gold}: {right} of {total}" in out.splitlines()
    calls = [line for line in out.splitlines() if line.startswith("boycott score >= 0.5: ")]
    assert len(calls) == (script == "probe_boycott_words")  # the triage's view, for the boycott probes only
