"""Precision, recall and F1: per label, macro-averaged, for single- and multi-label gold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """Per-label scores, their macro average, and how many items were scored."""

    per_label: tuple[LabelScore, ...]
    macro_f1: float
    accuracy: float
    n: int

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "labels": {
                s.label: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                }
                for s in self.per_label
            },
        }

    def table(self) -> str:
        rows = [f"{'label':<14}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
        for s in self.per_label:
            rows.append(f"{s.label:<14}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>10.3f}{s.support:>10}")
        rows.append(f"{'macro-F1':<14}{'':>10}{'':>10}{self.macro_f1:>10.3f}{self.n:>10}")
        rows.append(f"{'accuracy':<14}{'':>10}{'':>10}{self.accuracy:>10.3f}")
        return "\n".join(rows)


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def binary_f1(gold: Sequence[bool], flagged: Sequence[bool]) -> float:
    """F1 of ``flagged`` against ``gold``, one pair per post."""
    tp = sum(1 for g, f in zip(gold, flagged) if g and f)
    fp = sum(1 for g, f in zip(gold, flagged) if f and not g)
    fn = sum(1 for g, f in zip(gold, flagged) if g and not f)
    return _f1(tp, fp, fn)[2]


def multilabel_report(
    gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]], labels: Sequence[str]
) -> Report:
    """Each item may carry several labels; a label counts as hit where both sets hold it.

    ``accuracy`` is the share of items whose predicted set equals the gold set exactly.
    """
    gold_sets = [set(g) for g in gold]
    pred_sets = [set(p) for p in predicted]
    scores = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold_sets, pred_sets) if lab in g and lab in p)
        fp = sum(1 for g, p in zip(gold_sets, pred_sets) if lab not in g and lab in p)
        fn = sum(1 for g, p in zip(gold_sets, pred_sets) if lab in g and lab not in p)
        scores.append(LabelScore(lab, *_f1(tp, fp, fn), support=tp + fn))
    scored = [s for s in scores if s.support > 0]
    macro = sum(s.f1 for s in scored) / len(scored) if scored else 0.0
    exact = sum(1 for g, p in zip(gold_sets, pred_sets) if g == p)
    return Report(tuple(scores), macro, exact / len(gold_sets) if gold_sets else 0.0, len(gold_sets))


def single_label_report(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Report:
    """One gold and one predicted label per item."""
    return multilabel_report([[g] for g in gold], [[p] for p in predicted], labels)


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    n: int
    mean_score: float
    observed: float


def reliability(scores: Sequence[float], gold: Sequence[bool], bins: int = 10) -> tuple[ReliabilityBin, ...]:
    """Equal-width score bins: how many items, their mean score, and how often the label was really there."""
    out = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        idx = [i for i, s in enumerate(scores) if low <= s < high or (k == bins - 1 and s == 1.0)]
        if idx:
            out.append(
                ReliabilityBin(
                    low,
                    high,
                    len(idx),
                    sum(scores[i] for i in idx) / len(idx),
                    sum(1 for i in idx if gold[i]) / len(idx),
                )
            )
    return tuple(out)


def expected_calibration_error(table: Sequence[ReliabilityBin]) -> float:
    """The mean gap between score and observed frequency, weighted by each bin's size."""
    total = sum(b.n for b in table)
    return sum(b.n * abs(b.mean_score - b.observed) for b in table) / total if total else 0.0


def roc_auc(scores: Sequence[float], gold: Sequence[bool]) -> float | None:
    """The probability that a positive item scores above a negative one (ties count half); None if a
    class is missing."""
    pos = [s for s, g in zip(scores, gold) if g]
    neg = [s for s, g in zip(scores, gold) if not g]
    if not pos or not neg:
        return None
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg = (i + j + 1) / 2  # 1-based average rank of the tie group
        rank_sum += avg * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
