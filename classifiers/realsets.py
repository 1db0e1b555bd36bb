"""The real, public labelled sets that training reads in place (never copied into the repository).

Each set is found under a datasets folder (``repmon train --datasets DIR``, default ``../shared/datasets``)
and turned into ``RealExample`` rows: the text, weak targets for the product's labels where the set's own
label says something about them (a mask marks the rest as unknown), and an optional auxiliary task.

Every set is split once, by a hash of the text, into a part training may read and a part it never reads
(the dev yardstick). The split does not depend on row order or on which other sets are present:

| set | trained on | never trained on (dev yardstick) | licence |
|---|---|---|---|
| hebrew-sentiment | ``train.tsv`` | ``dev.tsv`` (whole) | MIT |
| hebert-sentiment | ``covid_main`` | ``test_insample`` (whole) | MIT |
| hebrew-negative-campaign (TONIC) | text hash mod 5 != 0, a seeded sample | text hash mod 5 == 0 | CC0 1.0 |
| davidson-offensive | text hash mod 5 != 0, a seeded sample | text hash mod 5 == 0 | MIT |
| complaints-en-dev | never | all of it (no licence: measuring only) | none |
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
csv.field_size_limit(10_000_000)

# Auxiliary tasks: a head of its own on the shared encoder, trained but not shipped.
AUX_TASKS: dict[str, int] = {"attack": 2}


@dataclass(frozen=True)
class RealSet:
    """One set's metadata, as the model card lists it."""

    name: str
    path: str
    licence: str
    trainable: bool
    what: str


SETS: tuple[RealSet, ...] = (
    RealSet(
        "hebrew-sentiment",
        "hebrew-sentiment/train.tsv",
        "MIT",
        True,
        "Hebrew Facebook comments: negative -> complaint, positive -> praise, off-topic -> neutral",
    ),
    RealSet(
        "hebert-sentiment",
        "hebert-sentiment/hebert_sentiment_aggregated.csv",
        "MIT",
        True,
        "Hebrew news comments (covid_main): majority negative/neutral/positive, ties skipped",
    ),
    RealSet(
        "hebrew-negative-campaign",
        "hebrew-negative-campaign/TONIC_dataset.csv",
        "CC0 1.0",
        True,
        "Hebrew election posts: an attack on a rival (defamation) or not; never a call; the auxiliary head",
    ),
    RealSet(
        "davidson-offensive",
        "davidson-offensive/labeled_data.csv",
        "MIT",
        True,
        "English tweets: hate/offensive or neither (auxiliary head; never defamation or a call)",
    ),
    RealSet(
        "complaints-en-dev",
        "complaints-en-dev/complaints_dev.csv",
        "none stated",
        False,
        "English tweets to brands: complaint or not (measuring only, never trained on)",
    ),
)


@dataclass(frozen=True)
class RealExample:
    """A real post with weak targets: ``targets[j]`` counts only where ``mask[j]`` is 1."""

    text: str
    source: str
    targets: tuple[float, ...]
    mask: tuple[float, ...]
    aux_task: str | None = None
    aux_label: int = -1


def in_dev(text: str, modulus: int = 5) -> bool:
    """The fixed dev part of a set split by hash: about one row in ``modulus``."""
    return int.from_bytes(hashlib.sha256(text.strip().encode("utf-8")).digest()[:4], "big") % modulus == 0


def _rows(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        if delimiter == "\t":
            yield from csv.DictReader(fh, delimiter=delimiter, quoting=csv.QUOTE_NONE)
        else:
            yield from csv.DictReader(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)


def _weak(labels: Sequence[str], known: dict[str, float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    targets = tuple(float(known.get(lab, 0.0)) for lab in labels)
    mask = tuple(1.0 if lab in known else 0.0 for lab in labels)
    return targets, mask


def _sentiment(labels: Sequence[str], polarity: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Negative says complaint (defamation and boycott unknown); positive and neutral say no to both."""
    if polarity == "neg":
        return _weak(labels, {"praise": 0.0, "neutral": 0.0, "complaint": 1.0})
    if polarity == "pos":
        return _weak(
            labels, {"praise": 1.0, "neutral": 0.0, "complaint": 0.0, "defamation": 0.0, "boycott": 0.0}
        )
    return _weak(labels, {"praise": 0.0, "neutral": 1.0, "complaint": 0.0, "defamation": 0.0, "boycott": 0.0})


def read_hebrew_sentiment(path: Path, labels: Sequence[str]) -> list[RealExample]:
    polarity = {"0": "pos", "1": "neg", "2": "neu"}
    out = []
    for row in _rows(path, "\t"):
        text, lab = (row.get("comment") or "").strip(), polarity.get((row.get("label") or "").strip())
        if text and lab:
            out.append(RealExample(text, "hebrew-sentiment", *_sentiment(labels, lab)))
    return out


def read_hebert(path: Path, labels: Sequence[str], split: str = "covid_main") -> list[RealExample]:
    out = []
    for row in _rows(path):
        lab = row.get("sent_majority3")
        text = (row.get("text") or "").strip()
        if row.get("split") == split and text and lab in ("neg", "neu", "pos"):
            out.append(RealExample(text, "hebert-sentiment", *_sentiment(labels, lab)))
    return out


def read_tonic(path: Path, labels: Sequence[str], dev: bool = False, sample: int = 0) -> list[RealExample]:
    out = []
    # Negative campaigning discredits a named rival, mostly with damaging claims about what they did: the
    # nearest real Hebrew text to an accusation (defamation); a post without an attack accuses no one.
    # Neither is a call to boycott a business.
    weak = {lab: _weak(labels, {"defamation": float(lab == "1"), "boycott": 0.0}) for lab in ("0", "1")}
    for row in _rows(path):
        text, lab = (row.get("post") or "").strip(), (row.get("label") or "").strip()
        if text and lab in ("0", "1") and in_dev(text) == dev:
            out.append(RealExample(text, "hebrew-negative-campaign", *weak[lab], "attack", int(lab)))
    if sample and len(out) > sample:
        out = random.Random(0).sample(out, sample)
    return out


def read_davidson(
    path: Path, labels: Sequence[str], dev: bool = False, sample: int = 4000
) -> list[RealExample]:
    out = []
    # An insult or a slur is not a factual accusation about a business, nor a call to avoid one.
    not_legal = _weak(labels, {"defamation": 0.0, "boycott": 0.0})
    for row in _rows(path):
        text, lab = (row.get("tweet") or "").strip(), (row.get("class") or "").strip()
        if text and lab in ("0", "1", "2") and in_dev(text) == dev:
            out.append(RealExample(text, "davidson-offensive", *not_legal, "attack", int(lab != "2")))
    if sample and len(out) > sample:
        out = random.Random(0).sample(out, sample)
    return out


def trainable_sets() -> list[str]:
    """The names of the sets training may read."""
    return [s.name for s in SETS if s.trainable]


def find_training_sets(
    root: Path | None,
    labels: Sequence[str],
    warn: Callable[[str], None] = lambda _m: None,
    without: Collection[str] = (),
) -> tuple[list[RealExample], list[str]]:
    """Every trainable real set found under ``root``: its examples and the names of the sets read.
    ``without`` names sets left out on request, read as if they were absent (for an ablation)."""
    readers: dict[str, Callable[[Path], list[RealExample]]] = {
        "hebrew-sentiment": lambda p: read_hebrew_sentiment(p, labels),
        "hebert-sentiment": lambda p: read_hebert(p, labels),
        # Seeded samples of the two auxiliary sets keep training within the hour on 2 cores.
        "hebrew-negative-campaign": lambda p: read_tonic(p, labels, sample=1200),
        "davidson-offensive": lambda p: read_davidson(p, labels, sample=3000),
    }
    out: list[RealExample] = []
    found: list[str] = []
    if root is None or not root.is_dir():
        warn(f"no real datasets at {root}: training on the project's own corpus alone")
        return out, found
    for s in SETS:
        if not s.trainable or s.name in without:
            continue
        path = root / s.path
        if not path.is_file():
            warn(f"real set {s.name} not found at {path}: skipped")
            continue
        rows = readers[s.name](path)
        out.extend(rows)
        found.append(s.name)
    return out, found


def real_digest(examples: Sequence[RealExample]) -> str:
    """A hash of the real examples as training reads them (text, set, targets, mask, auxiliary task and
    label), so a change to a set's file or to how a reader turns its labels into targets names a new
    training run."""
    h = hashlib.sha256()
    for e in examples:
        row = [e.text, e.source, list(e.targets), list(e.mask), e.aux_task, e.aux_label]
        h.update(json.dumps(row, ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def stack(examples: Sequence[RealExample]) -> tuple[np.ndarray, np.ndarray]:
    """``(targets, mask)`` arrays, one row per example."""
    return (
        np.array([e.targets for e in examples], dtype=np.float32).reshape(len(examples), -1),
        np.array([e.mask for e in examples], dtype=np.float32).reshape(len(examples), -1),
    )
