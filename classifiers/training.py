"""The project's own labelled corpus and the helpers training shares: reading it, multi-hot targets,
per-label thresholds and the label sets a classifier reports. The training itself is
``classifiers.finetune``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.errors import ClassifierError

DATA_DIR = Path(__file__).parent / "data"
TRAIN_DIR = DATA_DIR / "train"
TEST_FILE = DATA_DIR / "test" / "heldout.jsonl"
# The second test file, written by another hand from its own brief about real-post style; never trained on.
REALSTYLE_TEST_FILE = DATA_DIR / "test" / "realstyle.jsonl"
HIDDEN_DIM = 256


class CorpusError(ClassifierError):
    """A corpus file has a line that is not a valid example; the message names file and line."""


@dataclass(frozen=True)
class Example:
    text: str
    labels: tuple[str, ...]
    lang: str
    domain: str


def load_examples(paths: Sequence[Path], labels: Sequence[str]) -> list[Example]:
    """Read JSONL examples (``text``, ``labels``, ``lang``, ``domain``), checking every line."""
    out: list[Example] = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, labs = row["text"], tuple(row["labels"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CorpusError(f"{path}:{n}: not a valid example ({exc})") from exc
            bad = [lab for lab in labs if lab not in labels]
            if not labs or bad or not isinstance(text, str) or not text.strip():
                raise CorpusError(f"{path}:{n}: needs a text and labels from {list(labels)}, got {labs}")
            out.append(Example(text, labs, row.get("lang", "und"), row.get("domain", "other")))
    return out


def training_files(directory: Path = TRAIN_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def multi_hot(examples: Sequence[Example], labels: Sequence[str]) -> np.ndarray:
    y = np.zeros((len(examples), len(labels)), dtype=np.float32)
    for i, ex in enumerate(examples):
        for lab in ex.labels:
            y[i, labels.index(lab)] = 1.0
    return y


def choose_thresholds(
    probs: np.ndarray, y: np.ndarray, labels: Sequence[str], mask: np.ndarray | None = None
) -> dict[str, float]:
    """Per label, the threshold in 0.20..0.80 that maximises F1 on predictions for posts never trained on.

    ``mask`` (same shape as ``y``) leaves out the rows where a label's truth is unknown.
    """
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    known = np.ones_like(y, dtype=bool) if mask is None else mask > 0
    out = {}
    for j, lab in enumerate(labels):
        best, best_f1 = 0.5, -1.0
        for t in grid:
            pred = (probs[:, j] >= t) & known[:, j]
            tp = float(np.sum(pred & (y[:, j] == 1)))
            fp = float(np.sum(pred & (y[:, j] == 0)))
            fn = float(np.sum(~pred & known[:, j] & (y[:, j] == 1)))
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best_f1 + 1e-9:
                best, best_f1 = float(t), f1
        out[lab] = best
    return out


def predicted_sets(probs: np.ndarray, labels: Sequence[str], thresholds: dict[str, float]) -> list[list[str]]:
    """The label sets a classifier would report: every label at or above its threshold, else the top one."""
    out = []
    for row in probs:
        hits = [lab for lab, p in zip(labels, row) if p >= thresholds[lab]]
        out.append(hits or [labels[int(np.argmax(row))]])
    return out


def corpus_digest(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([ex.text, ex.labels], ensure_ascii=False).encode())
    return h.hexdigest()[:16]
