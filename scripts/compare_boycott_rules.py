"""Does the boycott rule layer (classifiers/rules.py) help on top of the model? Measured on the dev parts.

    .venv/bin/python scripts/compare_boycott_rules.py [MODEL_DIR] [--datasets DIR]

Scores the own dev part (one own-corpus post in seven, never trained on) and the real sets' dev parts
once with the model alone, then applies each rule mode ("none", "cap", "cap+floor") and prints, per mode,
the own dev macro-F1, boycott precision, recall and F1, how many own dev posts that are neither an
accusation nor a call would go to legal, and the legal alarm rate on the real dev parts. The model card's
decision about the layer comes from this table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import LABELS
from classifiers.finetune import own_split, real_dev_sets
from classifiers.metrics import multilabel_report
from classifiers.realsets import DEFAULT_DATASETS
from classifiers.rules import RULE_MODES, apply_boycott_rules
from classifiers.training import load_examples, predicted_sets, training_files
from monitor.wiring import configured_classifier


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", nargs="?", help="model folder (default: the committed one)")
    parser.add_argument("--datasets", default=str(DEFAULT_DATASETS))
    args = parser.parse_args()
    clf = configured_classifier(args.model)
    clf.boycott_rules = "none"  # the model alone; each mode is applied below
    _, dev = own_split(load_examples(training_files(), LABELS))
    preds = clf.predict([e.text for e in dev])
    real = [r.text for rows in real_dev_sets(Path(args.datasets), LABELS).values() for r in rows]
    real_preds = clf.predict(real)
    b = LABELS.index("boycott")
    print(
        "| rules | own dev macro-F1 | boycott P | boycott R | boycott F1 | own dev false legal alarms "
        "| real dev legal alarm |"
    )
    print("|---|---|---|---|---|---|---|")
    for mode in RULE_MODES:
        probs = np.array([[p.scores[lab] for lab in LABELS] for p in preds])
        probs[:, b] = [apply_boycott_rules(e.text, p.scores["boycott"], mode) for e, p in zip(dev, preds)]
        rep = multilabel_report(
            [e.labels for e in dev], predicted_sets(probs, LABELS, clf.thresholds), LABELS
        )
        boy = next(s for s in rep.per_label if s.label == "boycott")
        legal = probs[:, [LABELS.index("defamation"), b]].max(1) >= 0.5
        false_alarms = sum(
            1 for hit, e in zip(legal, dev) if hit and not {"defamation", "boycott"} & set(e.labels)
        )
        alarm = np.mean(
            [
                max(p.scores["defamation"], apply_boycott_rules(t, p.scores["boycott"], mode)) >= 0.5
                for t, p in zip(real, real_preds)
            ]
        )
        print(
            f"| {mode} | {rep.macro_f1:.4f} | {boy.precision:.3f} | {boy.recall:.3f} | {boy.f1:.3f} | "
            f"{false_alarms} of {len(dev)} | {100 * alarm:.2f} % |"
        )


if __name__ == "__main__":
    main()
