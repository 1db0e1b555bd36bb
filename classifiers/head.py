"""The classification head: a small multi-label network over sentence embeddings, saved beside its config."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

HEAD_WEIGHTS = "head.safetensors"
HEAD_CONFIG = "config.json"


@dataclass(frozen=True)
class HeadConfig:
    """What a trained head needs to be used again: its labels, thresholds and the encoder it expects."""

    id2label: dict[int, str]
    thresholds: dict[str, float]
    encoder: str
    encoder_version: str
    input_dim: int
    hidden_dim: int
    version: str
    trained_on: dict[str, object] = field(default_factory=dict)
    # Per label, (scale, bias) applied to the logit before the sigmoid (Platt scaling fitted on the dev
    # yardsticks), so a score can be read as a probability. Absent: the raw sigmoid.
    calibration: dict[str, tuple[float, float]] = field(default_factory=dict)
    adapter: str | None = None  # the LoRA adapter's folder, relative to the head's, if the encoder was tuned
    # The boycott rule layer (classifiers.rules): "none", "cap" (a refused, ended or reported boycott, or
    # another sense of the word, caps the boycott score) or "cap+floor" (an explicit call also lifts it).
    boycott_rules: str = "none"
    # The short-accusation rule layer (classifiers.rules): "none", or "floor" (a short post calling the
    # business thieves, crooks, frauds or liars gets a defamation score of at least 0.7, praise at most 0.3).
    # Kept on its measurement (the model card): it fires on none of the dev parts' posts and lifts defamation
    # recall on very short posts.
    accusation_rules: str = "floor"
    # The short-gripe rule layer (classifiers.rules): "none", or "floor" (a very short gripe gets a complaint
    # score of at least 0.65, praise at most 0.3).
    gripe_rules: str = "none"
    # How a post longer than the encoder's 256 tokens is read (classifiers.model.LONG_POST_MODES): "first"
    # (its first 256 tokens) or "windows" (all of it, in overlapping windows; the most negative part counts).
    # Kept on its measurement (the model card): an accusation or a call late in a long post reaches legal.
    long_posts: str = "windows"

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.id2label[i] for i in sorted(self.id2label))

    def to_json(self) -> str:
        data = asdict(self)
        data["id2label"] = {str(k): v for k, v in self.id2label.items()}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> HeadConfig:
        data = json.loads(text)
        data["id2label"] = {int(k): v for k, v in data["id2label"].items()}
        data["calibration"] = {k: (float(a), float(b)) for k, (a, b) in data.get("calibration", {}).items()}
        return cls(**data)


def build_head(input_dim: int, hidden_dim: int, n_labels: int, dropout: float = 0.1):  # noqa: ANN201
    """The head's network: one hidden layer, one logit per label (sigmoid, multi-label)."""
    import torch

    return torch.nn.Sequential(
        torch.nn.Dropout(dropout),
        torch.nn.Linear(input_dim, hidden_dim),
        torch.nn.GELU(),
        torch.nn.Dropout(dropout),
        torch.nn.Linear(hidden_dim, n_labels),
    )


class Head:
    """A trained head: embeddings in, per-label probabilities out."""

    def __init__(self, config: HeadConfig, network) -> None:  # noqa: ANN001
        self.config = config
        self.network = network.eval()

    @classmethod
    def load(cls, directory: Path) -> Head:
        from safetensors.torch import load_file

        config = HeadConfig.from_json((directory / HEAD_CONFIG).read_text(encoding="utf-8"))
        network = build_head(config.input_dim, config.hidden_dim, len(config.id2label))
        network.load_state_dict(load_file(str(directory / HEAD_WEIGHTS)))
        return cls(config, network)

    def save(self, directory: Path) -> None:
        from safetensors.torch import save_file

        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.network.state_dict().items()}
        save_file(state, str(directory / HEAD_WEIGHTS))
        (directory / HEAD_CONFIG).write_text(self.config.to_json(), encoding="utf-8")

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        """``(n, labels)`` raw logits, before calibration."""
        import torch

        if len(embeddings) == 0:
            return np.zeros((0, len(self.config.id2label)), dtype=np.float32)
        with torch.inference_mode():
            return self.network(torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32))).numpy()


def calibrated(
    logits: np.ndarray, labels: tuple[str, ...], calibration: dict[str, tuple[float, float]]
) -> np.ndarray:
    """The sigmoid of each label's logit after its (scale, bias); identity where a label has none."""
    scale = np.array([calibration.get(lab, (1.0, 0.0))[0] for lab in labels], dtype=np.float64)
    bias = np.array([calibration.get(lab, (1.0, 0.0))[1] for lab in labels], dtype=np.float64)
    z = logits.astype(np.float64) * scale + bias
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
