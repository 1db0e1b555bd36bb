"""The committed classifier on the real dev yardsticks (never trained on): floors that catch a regression.

Issue 12's goals are 0.75 complaint F1 on complaints-en-dev with a legal alarm of at most 3 %, and 0.72
negative F1 on hebrew-sentiment dev; the committed model measures 0.726 (0.8 % alarm) and 0.735 (another
training seed, at the current calibration: 0.711 and 0.729). The English floor sits under its figure (the
goal is not met), the Hebrew one and the alarm at their goals. They read ../shared/datasets in place and
are skipped where it is absent. The same figures, and more, come from `bash scripts/evaluate_all.sh` and
are in classifiers/MODEL_CARD.md.
"""

import pytest

from classifiers.metrics import binary_f1
from classifiers.model import LEGAL_LABELS, NEGATIVE_LABELS
from classifiers.realsets import DEFAULT_DATASETS, read_hebrew_sentiment
from monitor.inputs import read_rows

pytestmark = pytest.mark.slow

COMPLAINTS = DEFAULT_DATASETS / "complaints-en-dev" / "complaints_dev.csv"
HEBREW_DEV = DEFAULT_DATASETS / "hebrew-sentiment" / "dev.tsv"


@pytest.mark.skipif(not COMPLAINTS.is_file(), reason="../shared/datasets/complaints-en-dev is not here")
def test_english_complaints_to_brands_and_the_legal_alarm_rate(classifier):
    rows = [r.fields for r in read_rows(COMPLAINTS, "text") if r.error is None]
    preds = classifier.predict([r["text"] for r in rows])
    gold = [r["complaint"] == "1" for r in rows]
    f1 = binary_f1(gold, [p.label in NEGATIVE_LABELS for p in preds])
    alarm = sum(max(p.scores[lab] for lab in LEGAL_LABELS) >= 0.5 for p in preds) / len(preds)
    assert f1 >= 0.72
    assert alarm <= 0.03


@pytest.mark.skipif(not HEBREW_DEV.is_file(), reason="../shared/datasets/hebrew-sentiment is not here")
def test_hebrew_facebook_comments_negative_or_not(classifier):
    from classifiers import LABELS

    rows = read_hebrew_sentiment(HEBREW_DEV, LABELS)
    preds = classifier.predict([r.text for r in rows])
    gold = [r.targets[LABELS.index("complaint")] == 1.0 for r in rows]
    assert binary_f1(gold, [p.label in NEGATIVE_LABELS for p in preds]) >= 0.72
