"""Scoring the classifier against labelled posts (`repmon evaluate`): gold labels mapped onto labels or
groups, precision, recall and F1 overall and per value of a column, the legal alarm rate, and per label
or group its AUC, reliability table and expected calibration error.

Pure: rows in (already read), a report out; the CLI reads the file and prints. The one exception is
``run_probes``, the probe scripts' main (scripts/probe_*.py), which loads a model and prints.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from classifiers.metrics import (
    Report,
    binary_f1,
    expected_calibration_error,
    multilabel_report,
    reliability,
    roc_auc,
)
from classifiers.model import LEGAL_LABELS, Prediction

if TYPE_CHECKING:
    from classifiers.finetune import DevLogits
    from classifiers.head import Head
    from classifiers.realsets import RealExample


@dataclass(frozen=True)
class Labelled:
    """Posts whose gold label(s) map onto a label or group, in file order; ``keys`` are the ``--by``
    column's values ("" without one); ``skipped`` counts rows whose gold maps to none."""

    texts: list[Any]
    gold: list[list[str]]
    keys: list[str]
    skipped: int

    @property
    def multi(self) -> bool:
        """Whether any post has several gold labels (then every label above its threshold counts)."""
        return any(len(g) > 1 for g in self.gold)

    def sample(self, n: int | None, seed: int) -> Labelled:
        """A random sample of ``n`` posts (all of them when ``n`` is none or not smaller)."""
        if not n or n >= len(self.texts):
            return self
        picked = sorted(random.Random(seed).sample(range(len(self.texts)), n))
        return Labelled(
            [self.texts[i] for i in picked],
            [self.gold[i] for i in picked],
            [self.keys[i] for i in picked],
            self.skipped,
        )


def map_gold(
    rows: Iterable[Mapping[str, Any]],
    *,
    text_column: str,
    label_column: str,
    mapping: Mapping[str, str],
    groups: Mapping[str, str],
    targets: set[str],
    by: str | None = None,
) -> Labelled:
    """Each row's gold value(s) through ``mapping`` (gold value -> label or group) and ``groups`` (label ->
    group); a row with no value, or one that maps outside ``targets``, is skipped."""
    gold: list[list[str]] = []
    texts: list[Any] = []
    keys: list[str] = []
    skipped = 0
    for fields in rows:
        value = fields.get(label_column)
        values = value if isinstance(value, list) else [value]
        mapped = [mapping.get(str(v), str(v)) for v in values]
        mapped = [groups.get(m, m) for m in mapped]
        if not mapped or any(m not in targets for m in mapped):
            skipped += 1
            continue
        gold.append(sorted(set(mapped), key=mapped.index))
        texts.append(fields[text_column])
        keys.append(str(fields.get(by, "")) if by else "")
    return Labelled(texts, gold, keys, skipped)


@dataclass(frozen=True)
class Evaluation:
    """The scores of one run: overall, per ``--by`` value, and the calibration report."""

    overall: Report
    calibration: dict[str, Any]
    by: dict[str, Report] = field(default_factory=dict)


def evaluate(
    preds: Sequence[Prediction],
    data: Labelled,
    *,
    labels: Sequence[str],
    groups: Mapping[str, str],
    thresholds: dict[str, float] | None = None,
    by: bool = False,
) -> Evaluation:
    """Score ``preds`` against ``data.gold``. With multi-label gold every label above its threshold counts
    (the primary label when none is); with single-label gold only the primary label. Labels and groups
    are reported in ``labels`` order, the groups after. ``thresholds`` (label -> threshold) is read only
    with multi-label gold."""
    multi = data.multi

    def predicted(p: Prediction) -> list[str]:
        labs = p.labels_above(thresholds or {}) if multi else [p.label]
        labs = labs or [p.label]
        return sorted({groups.get(lab, lab) for lab in labs})

    pred_sets = [predicted(p) for p in preds]
    order = [*labels, *dict.fromkeys(groups.values())]
    report_labels = sorted(
        {lab for g in data.gold for lab in g},
        key=lambda lab: (order.index(lab) if lab in order else len(order), lab),
    )
    if not multi:  # single-label gold: score only the primary label
        pred_sets = [[groups.get(p.label, p.label)] for p in preds]
    overall = multilabel_report(data.gold, pred_sets, report_labels)
    calibration = calibration_report(preds, data.gold, report_labels, groups)
    per_key: dict[str, Report] = {}
    for key in sorted(set(data.keys)) if by else []:
        idx = [i for i, k in enumerate(data.keys) if k == key]
        per_key[key] = multilabel_report(
            [data.gold[i] for i in idx], [pred_sets[i] for i in idx], report_labels
        )
    return Evaluation(overall, calibration, per_key)


def calibration_report(
    preds: Sequence[Prediction],
    gold: Sequence[Sequence[str]],
    labels: Sequence[str],
    groups: Mapping[str, str],
) -> dict[str, Any]:
    """The legal alarm rate, and per reported label or group its AUC, reliability table and ECE.

    A group's score is the highest score among its labels.
    """
    alarms = sum(1 for p in preds if max(p.scores.get(lab, 0.0) for lab in LEGAL_LABELS) >= 0.5)
    scores_out: dict[str, object] = {}
    out: dict[str, Any] = {
        "legal_alarm_rate": round(alarms / len(preds), 4) if preds else 0.0,
        "legal_alarms": alarms,
        "scores": scores_out,
    }
    for lab in labels:
        members = [m for m, g in groups.items() if g == lab] or [lab]
        if not all(m in preds[0].scores for m in members):
            continue
        scores = [max(p.scores[m] for m in members) for p in preds]
        truth = [lab in g for g in gold]
        table = reliability(scores, truth)
        auc = roc_auc(scores, truth)
        scores_out[lab] = {
            "auc": None if auc is None else round(auc, 4),
            "ece": round(expected_calibration_error(table), 4),
            "reliability": [
                {
                    "bin": f"{b.low:.1f}-{b.high:.1f}",
                    "n": b.n,
                    "mean_score": round(b.mean_score, 3),
                    "observed": round(b.observed, 3),
                }
                for b in table
            ],
        }
    return out


def calibration_text(report: Mapping[str, Any]) -> str:
    """``calibration_report`` as the lines `repmon evaluate` prints under its table."""
    lines = [
        f"\nlegal alarm: {report['legal_alarms']} posts ({100 * report['legal_alarm_rate']:.1f} %) score 0.5 "
        "or more on defamation or boycott"
    ]
    for lab, rep in report["scores"].items():
        auc = "n/a" if rep["auc"] is None else f"{rep['auc']:.3f}"
        lines.append(f"\n{lab} score: AUC {auc}, expected calibration error {rep['ece']:.3f}")
        lines.append(f"  {'bin':<10}{'posts':>7}{'mean score':>12}{'observed':>10}")
        for b in rep["reliability"]:
            lines.append(f"  {b['bin']:<10}{b['n']:>7}{b['mean_score']:>12.3f}{b['observed']:>10.3f}")
    return "\n".join(lines)


def dev_summary(head: Head, summary: DevLogits, real_dev: dict[str, list[RealExample]]) -> list[str]:
    """One line per dev part: what the new model scores there (the yardsticks it never trained on)."""
    from classifiers.head import calibrated
    from classifiers.model import NEGATIVE_LABELS, primary_label
    from classifiers.training import predicted_sets

    labels = head.config.labels
    cal, thr = head.config.calibration, head.config.thresholds
    lines = []
    own_logits = summary["own_dev_logits"]
    if len(own_logits):
        probs = calibrated(own_logits, labels, cal)
        gold = [[lab for lab, v in zip(labels, row) if v] for row in summary["own_dev_y"]]
        rep = multilabel_report(gold, predicted_sets(probs, labels, thr), labels)
        lines.append(f"own dev ({rep.n} posts): macro-F1 {rep.macro_f1:.3f}")
    for name, rows in real_dev.items():
        probs = calibrated(summary["dev_logits"][name], labels, cal)
        legal = [labels.index(lab) for lab in LEGAL_LABELS]
        alarm = float(np.mean(probs[:, legal].max(1) >= 0.5)) if len(probs) else 0.0
        flagged = [primary_label(dict(zip(labels, map(float, p))), thr) in NEGATIVE_LABELS for p in probs]
        if rows and rows[0].source == "davidson-offensive":
            # As scripts/evaluate_all.sh scores it: an insult is an attack, read as complaint, defamation
            # or boycott (never a call or an accusation: the legal alarm says how often it is one).
            figure = f"attack F1 {binary_f1([r.aux_label == 1 for r in rows], flagged):.3f}"
        elif rows and rows[0].aux_task == "attack":
            auc = roc_auc(list(probs[:, labels.index("defamation")]), [r.aux_label == 1 for r in rows])
            figure = f"defamation-score AUC for attacks {auc:.3f}"
        else:
            neg = labels.index("complaint")
            figure = f"negative F1 {binary_f1([r.targets[neg] == 1.0 for r in rows], flagged):.3f}"
        lines.append(f"{name} ({len(rows)} posts): {figure}, legal alarm {100 * alarm:.1f} %")
    return lines


def run_probes(
    probes: Sequence[tuple[str, str]],
    argv: Sequence[str],
    load: Callable[..., Any],
    focus: str | None = None,
) -> int:
    """A probe script's main: reads ``probes`` with the model ``load`` gives (the committed one, or the
    HEAD_DIR in ``argv[0]``) and prints ``probe_report`` (``focus``: see there)."""
    preds = load(argv[0] if argv else None).predict([text for text, _ in probes])
    print(probe_report(probes, preds, focus))
    return 0


def probe_report(
    probes: Sequence[tuple[str, str]], preds: Sequence[Prediction], focus: str | None = None
) -> str:
    """The table the probe scripts print (post, the guide's label, the label read, the two top scores),
    right counts per guide label, then the total ``"N of M read as the guide says"`` on the last line.

    ``focus`` (a label) adds, before the total, how the triage sees that label whatever the primary one:
    the posts whose ``focus`` score reaches 0.5 (what sends a defamation or boycott to legal), against
    the posts the guide gives that label, with precision, recall and F1."""
    lines = ["| post | guide | read as | top scores |", "|---|---|---|---|"]
    per_gold: dict[str, list[int]] = {}
    for (text, gold), pred in zip(probes, preds, strict=True):
        top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(pred.scores.items(), key=lambda kv: -kv[1])[:2])
        lines.append(f"| {text} | {gold} | {pred.label} | {top} |")
        per_gold.setdefault(gold, []).append(int(pred.label == gold))
    lines.append("")
    lines += [f"  {gold}: {sum(hits)} of {len(hits)}" for gold, hits in sorted(per_gold.items())]
    if focus is not None:
        is_focus = [label == focus for _, label in probes]
        flagged = [p.scores.get(focus, 0.0) >= 0.5 for p in preds]
        tp = sum(g and f for g, f in zip(is_focus, flagged))
        precision = tp / max(sum(flagged), 1)
        recall = tp / max(sum(is_focus), 1)
        lines.append(
            f"{focus} score >= 0.5: {tp} of {sum(is_focus)} {focus} posts, {sum(flagged) - tp} of "
            f"{len(is_focus) - sum(is_focus)} others (precision {precision:.2f}, recall {recall:.2f}, "
            f"F1 {binary_f1(is_focus, flagged):.3f})"
        )
    right = sum(sum(hits) for hits in per_gold.values())
    lines.append(f"{right} of {len(probes)} read as the guide says")
    return "\n".join(lines)
