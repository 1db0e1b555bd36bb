"""Print the model card's yardstick table from the JSON reports that scripts/evaluate_all.sh wrote."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROWS = [
    ("heldout.json", "own test file (first team), macro-F1", "macro"),
    ("realstyle.json", "own real-style test file (second hand), macro-F1", "macro"),
    ("hebrew-sentiment-dev.json", "hebrew-sentiment dev, negative F1", "negative"),
    ("hebert-test_insample.json", "HeBERT test_insample, negative F1", "negative"),
    ("tonic-dev.json", "TONIC dev, AUC of the defamation score for attacks", "auc:defamation"),
    ("davidson-dev.json", "Davidson dev, attack F1", "attack"),
    ("complaints-en-dev.json", "complaints-en-dev, complaint F1 (measuring only)", "negative"),
]


def figure(report: dict[str, object], kind: str) -> str:
    if kind == "macro":
        return f"{report['macro_f1']:.3f}"
    if kind.startswith("auc:"):
        auc = report["scores"][kind[4:]]["auc"]
        return "n/a" if auc is None else f"{auc:.3f}"
    lab = report["labels"][kind]
    return f"{lab['f1']:.3f} (P {lab['precision']:.2f}, R {lab['recall']:.2f})"


def main(out: Path) -> None:
    print("| yardstick | n | figure | legal alarm |\n|---|---|---|---|")
    for name, title, kind in ROWS:
        path = out / name
        if not path.is_file():
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        alarm = f"{100 * report['legal_alarm_rate']:.1f} %"
        print(f"| {title} | {report['n']} | {figure(report, kind)} | {alarm} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "eval-results"))
