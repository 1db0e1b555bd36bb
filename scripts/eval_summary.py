"""Print the model card's yardstick table from the JSON reports that scripts/evaluate_all.sh wrote.

`python scripts/eval_summary.py DIR` prints one model's table. To decide on a change with several seeds
of each model (one run's seed noise is 1-2 points on the real dev parts), compare the means:

    python scripts/eval_summary.py --compare before=DIR,DIR after=DIR,DIR

Each DIR is an `evaluate_all.sh` output folder. The last group is compared with the first by the rule
the model card states (a change is kept only if every check passes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from statistics import mean

ROWS = [
    ("heldout.json", "own test file (first team), macro-F1", "macro"),
    ("realstyle.json", "own real-style test file (second hand), macro-F1", "macro"),
    ("hebrew-sentiment-dev.json", "hebrew-sentiment dev, negative F1", "negative"),
    ("hebert-test_insample.json", "HeBERT test_insample, negative F1", "negative"),
    ("tonic-dev.json", "TONIC dev, AUC of the defamation score for attacks", "auc:defamation"),
    ("davidson-dev.json", "Davidson dev, attack F1", "attack"),
    ("complaints-en-dev.json", "complaints-en-dev, complaint F1 (measuring only)", "negative"),
]

# The decision rule (model card, "What was tried"): (title, file, value, the most it may move the
# wrong way in points; None = it must move the right way).
CHECKS = [
    ("real-style Hebrew defamation F1 rises", "realstyle.json", "he:defamation", None),
    ("own test file (first team) macro-F1", "heldout.json", "macro", 0.5),
    ("own real-style test file macro-F1", "realstyle.json", "macro", 0.5),
    ("hebrew-sentiment dev negative F1", "hebrew-sentiment-dev.json", "negative", 0.5),
    ("HeBERT test_insample negative F1", "hebert-test_insample.json", "negative", 0.5),
    ("TONIC dev AUC", "tonic-dev.json", "auc:defamation", 0.5),
    ("Davidson dev attack F1", "davidson-dev.json", "attack", 0.5),
    ("legal alarm, hebrew-sentiment dev (lower is better)", "hebrew-sentiment-dev.json", "-alarm", 1.0),
    ("legal alarm, HeBERT test_insample (lower is better)", "hebert-test_insample.json", "-alarm", 1.0),
]
REPORTED = [
    ("complaints-en-dev complaint F1 (measuring only)", "complaints-en-dev.json", "negative"),
    ("complaints-en-dev legal alarm (measuring only)", "complaints-en-dev.json", "-alarm"),
]


def figure(report: dict[str, object], kind: str) -> str:
    if kind == "macro":
        return f"{report['macro_f1']:.3f}"
    if kind.startswith("auc:"):
        auc = report["scores"][kind[4:]]["auc"]
        return "n/a" if auc is None else f"{auc:.3f}"
    lab = report["labels"][kind]
    return f"{lab['f1']:.3f} (P {lab['precision']:.2f}, R {lab['recall']:.2f})"


def value(report: dict, kind: str) -> float:
    """One number, higher is better, in points (0-100); `-alarm` is minus the legal alarm rate."""
    if kind == "-alarm":
        return -100 * report["legal_alarm_rate"]
    if kind == "macro":
        return 100 * report["macro_f1"]
    if kind.startswith("auc:"):
        return 100 * report["scores"][kind[4:]]["auc"]
    if ":" in kind:
        lang, label = kind.split(":")
        return 100 * report["by_lang"][lang]["labels"][label]["f1"]
    return 100 * report["labels"][kind]["f1"]


def _load(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def compare(groups: list[tuple[str, list[Path]]]) -> bool:
    """Print each group's mean per check and whether the last group passes against the first."""
    names = [name for name, _ in groups]
    print(f"| check | {' | '.join(names)} | change | limit | pass |")
    print("|---|" + "---|" * (len(names) + 3))
    passed = True
    for title, file, kind, limit in CHECKS + [(t, f, k, "reported") for t, f, k in REPORTED]:
        means = [mean(value(_load(d, file), kind) for d in dirs) for _, dirs in groups]
        change = means[-1] - means[0]
        if limit == "reported":
            ok, shown = "", "reported only"
        else:
            good = change > 0 if limit is None else change >= -limit
            passed &= good
            worse = "+" if kind == "-alarm" else "-"
            ok, shown = ("yes" if good else "**no**"), ("must rise" if limit is None else f"{worse}{limit}")
        sign = -1 if kind == "-alarm" else 1
        cells = " | ".join(f"{sign * m + 0.0:.1f}" for m in means)
        print(f"| {title} | {cells} | {sign * change + 0.0:+.1f} | {shown} | {ok} |")
    print(f"\nKeep the change: {'yes' if passed else 'no'}")
    return passed


def main(out: Path) -> None:
    print("| yardstick | n | figure | legal alarm |\n|---|---|---|---|")
    for name, title, kind in ROWS:
        path = out / name
        if not path.is_file():
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        alarm = f"{100 * report['legal_alarm_rate']:.1f} %"
        print(f"| {title} | {report['n']} | {figure(report, kind)} | {alarm} |")
        for domain, part in report.get("by_domain", {}).items():
            if part["labels"][kind]["support"]:  # a domain with no complaint has no F1
                print(f"| {title}, {domain} | {part['n']} | {figure(part, kind)} | |")
            else:  # every post is "other": the share read as negative is the error rate
                share = f"{1 - part['accuracy']:.1%} read as a complaint"
                print(f"| {title}, {domain} (no complaints) | {part['n']} | {share} | |")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--compare"]:
        groups = []
        for spec in args[1:]:
            name, _, dirs = spec.partition("=")
            groups.append((name, [Path(d) for d in dirs.split(",") if d]))
        if len(groups) < 2 or not all(dirs for _, dirs in groups):
            sys.exit("usage: eval_summary.py --compare NAME=DIR[,DIR...] NAME=DIR[,DIR...]")
        compare(groups)
    else:
        main(Path(args[0] if args else "eval-results"))
