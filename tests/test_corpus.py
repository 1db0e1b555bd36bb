"""The bundled corpus: big enough, bilingual, every label, hard negatives, and a test file kept apart."""

import re
from collections import Counter
from pathlib import Path

from classifiers import LABELS
from classifiers.training import DATA_DIR, REALSTYLE_TEST_FILE, TEST_FILE, load_examples, training_files

ALLOWED_PAIRS = {("defamation", "boycott"), ("boycott", "defamation"), ("boycott", "complaint")}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _guide_domains() -> set[str]:
    """The domains LABELING.md lists."""
    guide = (DATA_DIR / "LABELING.md").read_text(encoding="utf-8")
    bullet = guide.split("- `domain`: one of", 1)[1].split("`other`", 1)[0]
    return set(re.findall(r"`([a-z_]+)`", bullet)) | {"other"}


def test_training_corpus_size_languages_and_labels():
    examples = load_examples(training_files(), LABELS)
    assert len(examples) >= 5000
    langs = Counter(ex.lang for ex in examples)
    assert 0.4 <= (langs["he"] + langs["mixed"] / 2) / len(examples) <= 0.6
    primary = Counter(ex.labels[0] for ex in examples)
    assert all(primary[lab] >= 100 for lab in LABELS), primary
    assert {ex.labels for ex in examples if len(ex.labels) > 1} <= ALLOWED_PAIRS
    assert len({ex.domain for ex in examples}) >= 7


def test_no_duplicates_and_test_files_are_never_trained_on():
    train = [ex.text for ex in load_examples(training_files(), LABELS)]
    test = [ex.text for ex in load_examples([TEST_FILE], LABELS)]
    realstyle = [ex.text for ex in load_examples([REALSTYLE_TEST_FILE], LABELS)]
    assert len(set(train)) == len(train)
    assert len(test) >= 300
    assert len(realstyle) >= 600
    assert {_norm(t) for t in train} & {_norm(t) for t in test} == set()
    assert {_norm(t) for t in train} & {_norm(t) for t in realstyle} == set()
    assert {_norm(t) for t in test} & {_norm(t) for t in realstyle} == set()


def test_the_real_style_test_file_covers_both_languages_and_every_label():
    examples = load_examples([REALSTYLE_TEST_FILE], LABELS)
    langs = Counter(ex.lang for ex in examples)
    assert langs["he"] >= 250 and langs["en"] >= 200 and langs["mixed"] >= 50
    primary = Counter(ex.labels[0] for ex in examples)
    assert all(primary[lab] >= 80 for lab in LABELS), primary


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
    assert len(boycott_word_not_boycott) >= 150
    assert len(scam_questions) >= 10


def test_the_patterns_real_posts_broke_are_covered_on_purpose():
    """Issue 12's failing patterns: each has examples in the corpus, in both languages."""
    examples = load_examples(training_files(), LABELS)

    def count(labels: tuple[str, ...], *needles: str) -> int:
        return sum(1 for ex in examples if ex.labels == labels and any(n in ex.text.lower() for n in needles))

    # an ended, refused or reported boycott, and one person's decision: not a call
    assert count(("neutral",), "חרם", "להחרים", "boycott") + count(("praise",), "חרם", "boycott") >= 100
    assert count(("complaint",), "לא חוזר", "never again", "not going back", "never flying") >= 20
    # accusations as questions or rumours
    assert count(("defamation",), "?") >= 50
    assert count(("defamation",), "שמעתי", "אומרים", "heard", "apparently", "rumor") >= 25
    # crime words in jest are praise
    assert count(("praise",), "illegal", "criminal", "שוד", "גנבתם") >= 10
    # messy real-post voice: no final letters, transliteration, hashtags and handles, emoji runs
    assert sum(1 for ex in examples if "#" in ex.text) >= 100
    assert sum(1 for ex in examples if "@" in ex.text) >= 500


def test_every_domain_is_one_the_labelling_guide_lists():
    listed = _guide_domains()
    assert {"software", "game", "electronics", "car", "food_brand", "apparel", "media", "public"} <= listed
    files = [*training_files(), TEST_FILE, REALSTYLE_TEST_FILE]
    used = Counter(ex.domain for ex in load_examples(files, LABELS))
    assert set(used) <= listed, set(used) - listed


def test_candidate_files_follow_the_guide_and_never_touch_the_test_files():
    """Written but not trained on (classifiers/data/candidates/README.md): still valid, still apart."""
    candidates = sorted((DATA_DIR / "candidates").glob("*.jsonl"))
    assert candidates, "the candidates folder lists files its README describes"
    readme = (DATA_DIR / "candidates" / "README.md").read_text(encoding="utf-8")
    assert all(f"`{path.name}`" in readme for path in candidates)
    examples = load_examples(candidates, LABELS)
    assert len(examples) >= 400
    assert {ex.labels for ex in examples if len(ex.labels) > 1} <= ALLOWED_PAIRS
    texts = {_norm(ex.text) for ex in examples}
    assert len(texts) == len(examples)
    for other in (training_files(), [TEST_FILE], [REALSTYLE_TEST_FILE]):
        assert texts & {_norm(ex.text) for ex in load_examples(other, LABELS)} == set()
    assert set(training_files()).isdisjoint(candidates)
    assert {ex.domain for ex in examples} <= _guide_domains() and {ex.lang for ex in examples} <= {
        "he",
        "en",
        "mixed",
    }


def test_probe_posts_are_in_no_corpus_file():
    """The probe scripts' posts (scripts/probe_*.py) are never trained on: no training or candidate file,
    nor either test file, holds one of them."""
    import importlib.util

    probes = []
    for path in sorted((Path(__file__).resolve().parents[1] / "scripts").glob("probe_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        probes += [_norm(text) for text, _ in module.PROBES]
    assert len(probes) >= 158  # short posts 14, accusations 64, boycott words 80
    files = [*training_files(), *(DATA_DIR / "candidates").glob("*.jsonl"), TEST_FILE, REALSTYLE_TEST_FILE]
    assert set(probes).isdisjoint(_norm(ex.text) for ex in load_examples(files, LABELS))
