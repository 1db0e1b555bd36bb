"""Training the head on the project's own labelled corpus, over frozen encoder embeddings.

Method: embed every example once with the (quantised) encoder, train a one-hidden-layer multi-label head
with binary cross-entropy, choose each label's decision threshold from 5-fold out-of-fold predictions
(the threshold that maximises that label's F1), then fit the final head on all the data.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifiers.head import Head, HeadConfig, build_head
from classifiers.metrics import Report, multilabel_report

if TYPE_CHECKING:
    import torch

DATA_DIR = Path(__file__).parent / "data"
TRAIN_DIR = DATA_DIR / "train"
TEST_FILE = DATA_DIR / "test" / "heldout.jsonl"
HIDDEN_DIM = 256


class CorpusError(ValueError):
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


def fit_head(
    x: np.ndarray,
    y: np.ndarray,
    *,
    hidden_dim: int = HIDDEN_DIM,
    epochs: int = 300,
    lr: float = 2e-3,
    weight_decay: float = 1e-2,
    seed: int = 0,
) -> torch.nn.Module:
    """Full-batch AdamW training of the head with binary cross-entropy; deterministic for a seed."""
    import torch

    torch.manual_seed(seed)
    net = build_head(x.shape[1], hidden_dim, y.shape[1])
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    # Rarer labels weigh more, so defamation and boycott are not drowned by complaints.
    pos = yt.sum(0).clamp(min=1)
    pos_weight = ((len(yt) - pos) / pos).clamp(max=4.0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    net.train()
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(net(xt), yt)
        loss.backward()
        opt.step()
    return net.eval()


def _probs(net, x: np.ndarray) -> np.ndarray:  # noqa: ANN001
    import torch

    with torch.inference_mode():
        return torch.sigmoid(net(torch.from_numpy(x))).numpy()


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Probabilities for every example from a head that never saw it (k-fold)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    probs = np.zeros_like(y)
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        probs[test] = _probs(fit_head(x[train], y[train], seed=seed + k), x[test])
    return probs


def choose_thresholds(probs: np.ndarray, y: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Per label, the threshold in 0.20..0.80 that maximises F1 on out-of-fold predictions."""
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    out = {}
    for j, lab in enumerate(labels):
        best, best_f1 = 0.5, -1.0
        for t in grid:
            pred = probs[:, j] >= t
            tp = float(np.sum(pred & (y[:, j] == 1)))
            fp = float(np.sum(pred & (y[:, j] == 0)))
            fn = float(np.sum(~pred & (y[:, j] == 1)))
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


def train(
    embed: Callable[[list[str]], np.ndarray],
    examples: Sequence[Example],
    labels: Sequence[str],
    *,
    encoder: str,
    encoder_version: str,
    precision: str = "fp32",
    seed: int = 0,
    progress: Callable[[str], None] = lambda _m: None,
) -> tuple[Head, Report]:
    """Train a head; returns it with the out-of-fold report used to pick its thresholds."""
    progress(f"Embedding {len(examples)} training examples...")
    x = embed([ex.text for ex in examples]).astype(np.float32)
    y = multi_hot(examples, labels)
    progress("Choosing thresholds by 5-fold cross-validation...")
    oof = out_of_fold(x, y, seed=seed)
    thresholds = choose_thresholds(oof, y, labels)
    report = multilabel_report(
        [ex.labels for ex in examples], predicted_sets(oof, labels, thresholds), labels
    )
    progress("Fitting the final head on all examples...")
    net = fit_head(x, y, seed=seed)
    digest = corpus_digest(examples)
    version = hashlib.sha256(f"{digest}|{encoder_version}|{precision}|{seed}".encode()).hexdigest()[:8]
    config = HeadConfig(
        id2label=dict(enumerate(labels)),
        thresholds=thresholds,
        encoder=encoder,
        encoder_version=encoder_version,
        input_dim=int(x.shape[1]),
        hidden_dim=HIDDEN_DIM,
        version=f"repmon-head-{version}",
        trained_on={
            "examples": len(examples),
            "by_label": dict(Counter(lab for ex in examples for lab in ex.labels)),
            "by_language": dict(Counter(ex.lang for ex in examples)),
            "corpus_sha256_16": digest,
            "cv_macro_f1": round(report.macro_f1, 4),
            "encoder_precision": precision,
            "seed": seed,
        },
    )
    return Head(config, net), report
