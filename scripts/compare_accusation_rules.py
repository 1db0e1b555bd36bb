"""Does the short-accusation rule layer (classifiers/rules.py) help on top of the model? Measured on the dev
parts, and on a file of very short posts the committed model was never trained on.

    .venv/bin/python scripts/compare_accusation_rules.py [MODEL_DIR] [--datasets DIR]

Scores, with the model alone ("none") and with the layer ("floor"):
- the own dev part (one own-corpus post in seven, never trained on): macro-F1, defamation P/R/F1, and how
  many posts that are neither an accusation nor a call would go to legal;
- each real set's dev part: how many posts the layer fires on, and the legal alarm rate (a defamation or
  boycott score of 0.5 or more; these are ordinary posts and comments);
- classifiers/data/candidates/short_posts.jsonl (240 very short posts of every label written by the project,
  not in the training corpus): macro-F1, defamation P/R/F1, and false legal alarms.
The model card's decision about the layer comes from this table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import LABELS
from classifiers.finetune import own_split, real_dev_sets
from classifiers.metrics import multilabel_report
from classifiers.model import Prediction
from classifiers.realsets import DEFAULT_DATASETS
from classifiers.rules import ACCUSATION_MODES, accusation_cue, apply_accusation_rules
from classifiers.training import load_examples, training_files
from monitor.wiring import configured_classifier

SHORT_POSTS = (
    Path(__file__).resolve().parents[1] / "classifiers" / "data" / "candidates" / "short_posts.jsonl"
)
LEGAL = ("defamation", "boycott")


def _scores(texts: Sequence[str], preds: Sequence[Prediction], mode: str) -> list[dict[str, float]]:
    return [apply_accusation_rules(t, p.scores, mode) for t, p in zip(texts, preds)]


def _legal(scores: dict[str, float]) -> bool:
    return max(scores.get(lab, 0.0) for lab in LEGAL) >= 0.5


def _labelled_row(
    name: str,
    gold: Sequence[Sequence[str]],
    texts: Sequence[str],
    preds: Sequence[Prediction],
    thresholds: dict[str, float],
    mode: str,
) -> str:
    scores = _scores(texts, preds, mode)
    sets = [[lab for lab in LABELS if s[lab] >= thresholds[lab]] or [max(s, key=s.get)] for s in scores]
    rep = multilabel_report(gold, sets, LABELS)
    d = next(s for s in rep.per_label if s.label == "defamation")
    false = sum(1 for s, g in zip(scores, gold) if _legal(s) and not set(LEGAL) & set(g))
    fired = sum(accusation_cue(t) for t in texts)
    return (
        f"| {name} | {mode} | {fired} of {len(texts)} | {rep.macro_f1:.4f} | {d.precision:.3f} "
        f"| {d.recall:.3f} | {d.f1:.3f} | {false} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", nargs="?", help="model folder (default: the committed one)")
    parser.add_argument("--datasets", default=str(DEFAULT_DATASETS))
    args = parser.parse_args()
    clf = configured_classifier(args.model)
    clf.accusation_rules = "none"  # the model alone; each mode is applied below
    _, dev = own_split(load_examples(training_files(), LABELS))
    short = [
        json.loads(line) for line in SHORT_POSTS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    labelled = {
        "own dev": ([e.labels for e in dev], [e.text for e in dev]),
        "short posts (candidate file)": ([r["labels"] for r in short], [r["text"] for r in short]),
    }
    print(
        "| set | layer | fires on | macro-F1 | defamation P | defamation R | defamation F1 "
        "| false legal alarms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, (gold, texts) in labelled.items():
        preds = clf.predict(texts)
        for mode in ACCUSATION_MODES:
            print(_labelled_row(name, gold, texts, preds, clf.thresholds, mode))
    print("\n| real dev part | layer | fires on | legal alarm |\n|---|---|---|---|")
    for name, rows in real_dev_sets(Path(args.datasets), LABELS).items():
        texts = [r.text for r in rows]
        preds = clf.predict(texts)
        fired = sum(accusation_cue(t) for t in texts)
        for mode in ACCUSATION_MODES:
            alarm = sum(_legal(s) for s in _scores(texts, preds, mode)) / max(len(texts), 1)
            print(f"| {name} | {mode} | {fired} of {len(texts)} | {100 * alarm:.2f} % |")


if __name__ == "__main__":
    main()
