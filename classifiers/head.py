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

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """``(n, labels)`` independent probabilities, one per label."""
        import torch

        if len(embeddings) == 0:
            return np.zeros((0, len(self.config.id2label)), dtype=np.float32)
        with torch.inference_mode():
            logits = self.network(torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32)))
            return torch.sigmoid(logits).numpy()
