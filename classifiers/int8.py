"""The encoder's feed-forward layers in int8, with one scale per token and one per output channel.

Why: on CPUs without AMX (AVX512-BF16 and VNNI alone, like the 2-core AMD EPYC where issue 12 measured)
float32 is the fastest arithmetic torch offers for the encoder, and its matrix products already run at
the CPU's float32 peak. int8 products with VNNI do about four times the work per cycle. The two
feed-forward layers of each encoder layer carry two thirds of its multiply-adds.

Why only the feed-forward layers, and why per token: torch's stock dynamic int8 (``quantize_dynamic``)
gives one scale to a whole batch's activations, so one outlying token coarsens every other token's
numbers; with the fine-tuned model it cost 5 points of complaint F1. Here each token (each row) gets its
own scale, the weights one per output channel, so a post's numbers do not depend on the other posts in
its batch. Measured on the dev yardsticks (``REPMON_PRECISION=int8 bash scripts/evaluate_all.sh`` against
``fp32``; the model card has the table), the feed-forward layers in int8 stay within 0.2 point of
float32 on every real dev yardstick (the project's own real-style test file reads 0.7 point lower), while
the attention projections in int8 cost more than half a point on the TONIC dev part, so attention stays
in float32.

The rows go through in chunks of ``CHUNK_ROWS`` so that the 1,536-wide intermediate activations stay in
the core's cache between the products, the activation function and the requantisation (a whole batch
at once was slower than float32 on the project's machine).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from classifiers.errors import ClassifierError

CHUNK_ROWS = 384
INT8_MAX = 127.0


def int8_matmul_works() -> bool:
    """True where torch multiplies int8 matrices on this CPU (``torch._int_mm``)."""
    try:
        a = torch.ones(17, 8, dtype=torch.int8)
        out = torch._int_mm(a, torch.ones(8, 8, dtype=torch.int8))
    except (RuntimeError, AttributeError, NotImplementedError):
        return False
    return bool(out.dtype == torch.int32 and int(out[0, 0]) == 8)


def quantize_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A linear layer's ``(out, in)`` weight as an ``(in, out)`` int8 matrix and one float32 scale per
    output channel (symmetric: the largest magnitude of each channel maps to 127)."""
    w = weight.detach().float()
    scale = w.abs().amax(dim=1).clamp(min=1e-12) / INT8_MAX
    q = torch.round(w / scale[:, None]).clamp(-INT8_MAX, INT8_MAX).to(torch.int8)
    return q.t().contiguous(), scale


def quantize_rows(x: torch.Tensor, *, overwrite: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row of a 2-D float tensor as int8 with its own scale: ``(scale (rows, 1), int8 rows)``.
    ``overwrite``: ``x`` is a temporary that may be scaled in place (one allocation and pass fewer)."""
    scale = x.abs().amax(dim=1, keepdim=True).div_(INT8_MAX).clamp_(min=1e-12)
    scaled = x.mul_(scale.reciprocal()) if overwrite else x * scale.reciprocal()
    return scale, scaled.round_().to(torch.int8)


def int8_linear(
    x: torch.Tensor,
    weight_q: torch.Tensor,
    weight_scale: torch.Tensor,
    bias: torch.Tensor,
    *,
    overwrite: bool = False,
) -> torch.Tensor:
    """``x @ W.T + bias`` for float rows ``x``, with x quantised per row and W per output channel
    (``overwrite``: ``x`` is a temporary the quantisation may scale in place)."""
    row_scale, q = quantize_rows(x, overwrite=overwrite)
    out = torch._int_mm(q, weight_q).float()
    return out.mul_(weight_scale).mul_(row_scale).add_(bias)


class Int8FeedForward(torch.nn.Module):
    """``down(act(up(x)))`` in int8, replacing a BERT layer's ``intermediate`` (its ``output.dense``
    becomes the identity, so the residual and LayerNorm that follow are untouched)."""

    up_q: torch.Tensor
    up_scale: torch.Tensor
    up_bias: torch.Tensor
    down_q: torch.Tensor
    down_scale: torch.Tensor
    down_bias: torch.Tensor

    def __init__(
        self,
        up: torch.nn.Linear,
        activation: Callable[[torch.Tensor], torch.Tensor],
        down: torch.nn.Linear,
    ) -> None:
        super().__init__()
        up_q, up_scale = quantize_weight(up.weight)
        down_q, down_scale = quantize_weight(down.weight)
        self.register_buffer("up_q", up_q)
        self.register_buffer("up_scale", up_scale)
        self.register_buffer("up_bias", _bias(up))
        self.register_buffer("down_q", down_q)
        self.register_buffer("down_scale", down_scale)
        self.register_buffer("down_bias", _bias(down))
        self.activation = activation
        self.out_features = down.out_features

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        rows = hidden.reshape(-1, hidden.shape[-1]).float()
        chunks = [self._chunk(part) for part in rows.split(CHUNK_ROWS)]
        out = chunks[0] if len(chunks) == 1 else torch.cat(chunks)
        return out.reshape(*hidden.shape[:-1], self.out_features).to(hidden.dtype)

    def _chunk(self, x: torch.Tensor) -> torch.Tensor:
        inner = self.activation(int8_linear(x, self.up_q, self.up_scale, self.up_bias))
        # the activation's output is this chunk's own temporary: quantised in place
        return int8_linear(inner, self.down_q, self.down_scale, self.down_bias, overwrite=True)


def _bias(layer: torch.nn.Linear) -> torch.Tensor:
    if layer.bias is None:
        return torch.zeros(layer.out_features)
    return layer.bias.detach().float().clone()


def quantize_feed_forward(model: torch.nn.Module) -> torch.nn.Module:
    """Put every BERT-style layer's feed-forward block of ``model`` in int8 (in place; returned), or say
    what to do where this CPU or model cannot."""
    if not int8_matmul_works():
        raise ClassifierError(
            "precision int8: torch cannot multiply int8 matrices on this CPU; "
            "set REPMON_PRECISION to auto or fp32"
        )
    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if layers is None:
        raise ClassifierError(
            "precision int8: the encoder has no BERT-style layers (model.encoder.layer); "
            "set REPMON_PRECISION to auto or fp32"
        )
    for layer in layers:
        inter, output = layer.intermediate, layer.output
        layer.intermediate = Int8FeedForward(inter.dense, inter.intermediate_act_fn, output.dense)
        output.dense = torch.nn.Identity()
    return model
