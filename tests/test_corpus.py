"""The bundled corpus: big enough, bilingual, every label, hard negatives, and a test file kept apart."""

from collections import Counter

from classifiers import LABELS
from classifiers.training import TEST_FILE, load_examples, training_files

ALLOWED_PAIRS = {("defamation", "boycott"), ("boycott", "defamation"), ("boycott", "complaint")}


def test_training_corpus_size_languages_and_labels():
    examples = load_examples(training_files(), LABELS)
    assert len(examples) >= 1500
    langs = Counter(ex.lang for ex in examples)
    assert 0.4 <= (langs["he"] + langs["mixed"] / 2) / len(examples) <= 0.6
    primary = Counter(ex.labels[0] for ex in examples)
    assert all(primary[lab] >= 100 for lab in LABELS), primary
    assert {ex.labels for ex in examples if len(ex.labels) > 1} <= ALLOWED_PAIRS
    assert len({ex.domain for ex in examples}) >= 7


def test_no_duplicates_and_test_file_is_never_trained_on():
    train = [ex.text for ex in load_examples(training_files(), LABELS)]
    test = [ex.text for ex in load_examples([TEST_FILE], LABELS)]
    assert len(set(train)) == len(train)
    assert len(test) >= 300
    norm = lambda t: " ".join(t.split()).casefold()  # noqa: E731
    assert {norm(t) for t in train} & {norm(t) for t in test} == set()


def test_hard_negatives_are_present():
    examples = load_examples(training_files(), LABELS)
    boycott_word_not_boycott = [
        ex
        for ex in examples
        if ("חרם" in ex.text or "החרימ" in ex.text or "boycott" in ex.text.lower())
        and "boycott" not in ex.labels
    ]
    scam_questions = [
        ex
        for ex in examples
        if ex.labels == ("neutral",)
        and "?" in ex.text
        and any(w in ex.text.lower() for w in ("scam", "phishing", "עוקץ", "הונאה", "פישינג"))
    ]
    assert len(boycott_word_not_boycott) >= 20
    assert len(scam_questions) >= 10
