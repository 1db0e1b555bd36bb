"""Fine-tuning with LoRA, calibration and the real-set readers, on a tiny random BERT and tiny files."""

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers import LABELS
from classifiers.finetune import Settings, finetune, fit_platt, own_split
from classifiers.head import calibrated
from classifiers.metrics import expected_calibration_error, reliability, roc_auc
from classifiers.realsets import find_training_sets, in_dev, read_davidson, read_hebrew_sentiment, read_tonic
from classifiers.training import Example

WORDS = {
    "praise": ["thanks", "great", "lovely", "תודה"],
    "neutral": ["when", "open", "hours", "מתי"],
    "complaint": ["late", "cold", "rude", "איחור"],
    "defamation": ["fraud", "stole", "expired", "הונאה"],
    "boycott": ["dontbuy", "boycottthem", "share", "תחרימו"],
}


def tiny_encoder(directory: Path) -> str:
    """A two-layer random BERT with a word-level tokenizer: enough for LoRA, fast on any CPU."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *sorted({w for ws in WORDS.values() for w in ws}), "x", "y"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]"
    )
    fast.save_pretrained(directory)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    torch.manual_seed(0)  # the same random encoder every run
    BertModel(config, add_pooling_layer=False).save_pretrained(directory)
    return str(directory)


def toy_corpus(n: int = 40) -> list[Example]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        for lab, words in WORDS.items():
            picked = rng.choice(words, size=3)
            out.append(Example(f"{' '.join(picked)} x y {i}", (lab,), "en", "shop"))
    return out


TUNED = Settings(epochs=6, batch_size=16, lora_rank=4, lora_lr=5e-3, head_lr=1e-2)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    root = tmp_path_factory.mktemp("tuned")
    enc = tiny_encoder(root / "encoder")
    head, summary = finetune(
        enc,
        toy_corpus(),
        [],
        {},
        LABELS,
        encoder=enc,
        base_version=f"{enc}@256",
        found_sets=[],
        out_dir=root / "model",
        settings=TUNED,
        bar=False,
    )
    return root, enc, head, summary


def test_finetune_saves_a_small_adapter_that_loads_merged_and_classifies(tuned):
    from classifiers.model import load_classifier

    root, enc, _head, _ = tuned
    model_dir = root / "model"
    assert (model_dir / "adapter" / "adapter_model.safetensors").is_file()
    cfg = json.loads((model_dir / "config.json").read_text())
    assert cfg["adapter"] == "adapter"
    assert set(cfg["calibration"]) == set(LABELS)
    assert cfg["encoder_version"].startswith(f"{enc}@256+lora-")
    clf = load_classifier(model_dir, encoder=enc)
    assert clf.encoder.adapter_version.startswith("lora-")
    # the merged encoder is a plain transformers model: no LoRA modules left at inference
    assert not any("lora" in name for name, _ in clf.encoder.model.named_modules())
    texts = ["fraud stole expired", "thanks great lovely", "dontbuy boycottthem share", "late cold rude"]
    preds = clf.predict(texts)
    assert [p.label for p in preds] == ["defamation", "praise", "boycott", "complaint"]


def test_merged_model_matches_the_training_model(tuned):
    """The adapter merged at load gives the scores the trained (unmerged) model gave on the dev part."""
    from classifiers.model import load_classifier
    from classifiers.training import multi_hot

    root, enc, head, summary = tuned
    _, dev = own_split(toy_corpus())
    # float32 as calibration read them: `auto` would pick bf16 on a CPU with AMX, whose rounded weights
    # move the scores in the fourth decimal
    clf = load_classifier(root / "model", encoder=enc, precision="fp32")
    ours = np.array([[p.scores[lab] for lab in LABELS] for p in clf.predict([ex.text for ex in dev])])
    trained = calibrated(summary["own_dev_logits"], LABELS, head.config.calibration)
    # Calibration read the dev posts with the merged encoder, as the classifier does: the same scores up to
    # the 4 decimals a prediction keeps (a wrong merge, scale, pooling or reading length moves them by
    # hundredths or tenths).
    np.testing.assert_allclose(ours, trained, atol=2e-4)
    assert summary["own_dev_y"].tolist() == multi_hot(dev, LABELS).tolist()


def test_own_split_is_fixed_by_text():
    corpus = toy_corpus()
    train, dev = own_split(corpus)
    assert len(train) + len(dev) == len(corpus)
    assert 0.08 < len(dev) / len(corpus) < 0.22
    _train2, dev2 = own_split(list(reversed(corpus)))
    assert {e.text for e in dev} == {e.text for e in dev2}


def test_platt_scaling_recovers_a_known_miscalibration():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3, 5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-(0.5 * z - 1.0)))).astype(np.float32)
    a, b = fit_platt(z * 1.0, y, np.ones_like(y))
    assert a == pytest.approx(0.5, abs=0.08)
    assert b == pytest.approx(-1.0, abs=0.15)
    # nothing to learn from: identity
    assert fit_platt(z[:5], y[:5], np.ones(5)) == (1.0, 0.0)
    assert fit_platt(z, y, np.zeros_like(y)) == (1.0, 0.0)


def test_reliability_ece_and_auc():
    scores = [0.05, 0.15, 0.95, 0.85, 0.9]
    gold = [False, False, True, True, False]
    table = reliability(scores, gold)
    assert [b.n for b in table] == [1, 1, 1, 2]
    assert table[-1].observed == 0.5
    assert expected_calibration_error(table) == pytest.approx((0.05 + 0.15 + 0.15 + 2 * 0.425) / 5)
    assert roc_auc(scores, gold) == pytest.approx(5 / 6)
    assert roc_auc([0.1, 0.2], [True, True]) is None


def test_dev_parts_are_fixed_by_hash():
    assert in_dev("abc") == in_dev(" abc ")
    texts = [f"post number {i}" for i in range(2000)]
    share = sum(in_dev(t) for t in texts) / len(texts)
    assert 0.15 < share < 0.25


def test_real_set_readers_give_weak_targets(tmp_path):
    (tmp_path / "hebrew-sentiment").mkdir()
    (tmp_path / "hebrew-sentiment" / "train.tsv").write_text(
        "comment\tlabel\nנהדר\t0\nגרוע\t1\nמה השעה\t2\n\t1\n", encoding="utf-8"
    )
    rows = read_hebrew_sentiment(tmp_path / "hebrew-sentiment" / "train.tsv", LABELS)
    assert [r.text for r in rows] == ["נהדר", "גרוע", "מה השעה"]
    neg = dict(zip(LABELS, zip(rows[1].targets, rows[1].mask)))
    assert neg["complaint"] == (1.0, 1.0) and neg["defamation"][1] == 0.0  # an accusation: unknown
    pos = dict(zip(LABELS, zip(rows[0].targets, rows[0].mask)))
    assert pos["praise"] == (1.0, 1.0) and pos["boycott"] == (0.0, 1.0)
    (tmp_path / "tonic.csv").write_text(
        "politician name,date,post,year,city,label\n"
        + "".join(f"a,1,post {i},2018,c,{i % 2}\n" for i in range(50))
    )
    train = read_tonic(tmp_path / "tonic.csv", LABELS)
    dev = read_tonic(tmp_path / "tonic.csv", LABELS, dev=True)
    assert len(train) + len(dev) == 50 and dev and not {r.text for r in train} & {r.text for r in dev}
    assert {r.aux_task for r in train} == {"attack"}
    d = LABELS.index("defamation")
    assert all(r.targets[d] == float(r.aux_label) and r.mask[d] == 1.0 for r in train + dev)
    (tmp_path / "d.csv").write_text(
        ",count,hate_speech,offensive_language,neither,class,tweet\n"
        + "".join(f"{i},3,0,0,3,{i % 3},tweet {i}\n" for i in range(30))
    )
    rows = read_davidson(tmp_path / "d.csv", LABELS, sample=0) + read_davidson(
        tmp_path / "d.csv", LABELS, True, 0
    )
    assert len(rows) == 30
    assert all(
        r.mask[LABELS.index("praise")] == 0.0 and r.targets[LABELS.index("defamation")] == 0.0 for r in rows
    )


def test_the_training_hash_names_the_real_examples_as_read_not_only_the_sets_found():
    import dataclasses

    from classifiers.finetune import training_hash
    from classifiers.realsets import RealExample

    own = toy_corpus(2)
    rude = RealExample("you people are idiots", "davidson-offensive", (0.0,) * 5, (0.0, 0.0, 0.0, 1.0, 1.0))
    real = [rude, RealExample("גרוע", "hebrew-sentiment", (0.0, 0.0, 1.0, 0.0, 0.0), (1.0,) * 5)]
    sets = ["davidson-offensive", "hebrew-sentiment"]
    base = training_hash(own, real, sets, "enc@256", Settings())
    assert base == training_hash(list(own), list(real), sets[::-1], "enc@256", Settings())  # a pure name
    # the same file read with another target (a reader's change) is another training run
    as_complaint = dataclasses.replace(rude, targets=(0.0, 0.0, 1.0, 0.0, 0.0), mask=(1.0,) * 5)
    changed = [
        training_hash(own, [as_complaint, real[1]], sets, "enc@256", Settings()),
        training_hash(own, real[:1], sets, "enc@256", Settings()),  # a set's file changed
        training_hash(own, real, sets, "enc@256", Settings(seed=1)),
        training_hash(own, real, sets, "other@256", Settings()),
        training_hash(own[1:], real, sets, "enc@256", Settings()),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_missing_datasets_warn_and_train_on_the_own_corpus(tmp_path):
    warnings = []
    rows, found = find_training_sets(tmp_path / "nowhere", LABELS, warnings.append)
    assert rows == [] and found == []
    assert "training on the project's own corpus alone" in warnings[0]
    (tmp_path / "hebrew-sentiment").mkdir()
    (tmp_path / "hebrew-sentiment" / "train.tsv").write_text("comment\tlabel\nטוב\t0\n", encoding="utf-8")
    warnings.clear()
    rows, found = find_training_sets(tmp_path, LABELS, warnings.append)
    assert found == ["hebrew-sentiment"] and len(rows) == 1
    assert any("davidson-offensive not found" in w for w in warnings)


def test_the_bf16_copy_is_written_once_and_loads_without_a_float32_copy(tmp_path):
    import torch
    from transformers import AutoModel

    from classifiers.encoder import bf16_copy

    enc = tiny_encoder(tmp_path / "encoder")
    messages = []
    target = bf16_copy(enc, messages.append)
    assert target == str(tmp_path / "encoder-bf16") and len(messages) == 1
    assert bf16_copy(enc, messages.append) == target and len(messages) == 1  # once
    model = AutoModel.from_pretrained(target, dtype=torch.bfloat16)
    original = AutoModel.from_pretrained(enc)
    w, w0 = (
        model.encoder.layer[0].attention.self.query.weight,
        original.encoder.layer[0].attention.self.query.weight,
    )
    assert w.dtype == torch.bfloat16
    torch.testing.assert_close(w.float(), w0, atol=1e-2, rtol=1e-2)


def test_padding_widths_come_in_a_few_shapes_and_do_not_change_the_embeddings(tuned):
    """Batches are padded to a multiple of PAD_TO tokens; the mask keeps padding out of the mean."""
    from classifiers.encoder import PAD_TO, Encoder

    _root, enc, _head, _ = tuned
    encoder = Encoder(enc, precision="fp32")
    texts = ["fraud stole", "thanks great lovely x y", "late"]
    together = encoder.embed(texts)
    alone = np.vstack([encoder.embed([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert PAD_TO == 8


def test_a_read_only_cache_falls_back_to_the_float32_encoder(tmp_path, monkeypatch):
    import tempfile

    from classifiers.encoder import bf16_copy

    enc = tiny_encoder(tmp_path / "encoder")

    def refuse(*_args, **_kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    messages = []
    assert bf16_copy(enc, messages.append) == enc
    assert "loading the float32 encoder instead" in messages[-1]


LONG = " ".join(["x", "y"] * 150) + " fraud stole expired"  # 303 tokens: the accusation past 256 and past 96


def test_calibration_reads_dev_posts_as_the_classifier_does_long_ones_whole(tmp_path, monkeypatch):
    """``repmon train`` fits calibration on logits of the dev posts as predict reads them: 256 tokens, a
    long post in windows combined per label, not at the training length (96 tokens)."""
    import classifiers.finetune as ft
    from classifiers.model import load_classifier, read_logits

    seen = {}
    real_calibrate = ft.calibrate

    def spy(logits_of, *args):
        seen["logits_of"] = logits_of
        return real_calibrate(logits_of, *args)

    monkeypatch.setattr(ft, "calibrate", spy)
    enc = tiny_encoder(tmp_path / "encoder")
    finetune(
        enc,
        toy_corpus(10),
        [],
        {},
        LABELS,
        encoder=enc,
        base_version=f"{enc}@256",
        found_sets=[],
        out_dir=tmp_path / "model",
        settings=Settings(epochs=1, batch_size=16, lora_rank=4),
        bar=False,
    )
    clf = load_classifier(tmp_path / "model", encoder=enc, precision="fp32")
    texts = [LONG, "thanks great lovely", "  late\x00 cold  "]
    ours = seen["logits_of"](texts)
    expected, windows = read_logits(
        clf.encoder, clf.head.logits, [LONG, "thanks great lovely", "late cold"], LABELS, "windows"
    )
    assert windows is not None and int((windows.owners == 0).sum()) == 2  # the long post: two windows
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    # the first window alone (what 256 tokens, or training's 96, read) scores the long post otherwise
    first, _ = read_logits(clf.encoder, clf.head.logits, [LONG], LABELS, "first")
    assert np.abs(first[0] - ours[0]).max() > 1e-3
    # and predict is the calibrated reading
    scores = clf.predict([LONG])[0].scores
    np.testing.assert_allclose(
        [scores[lab] for lab in LABELS],
        calibrated(ours[:1], LABELS, clf.head.config.calibration)[0],
        atol=1e-4,
    )


def test_the_head_version_names_its_calibration_and_a_recalibrated_model_gets_a_new_one(tuned, tmp_path):
    import shutil

    from classifiers.finetune import head_version, recalibrate, training_hash
    from classifiers.head import Head
    from classifiers.model import load_classifier
    from classifiers.realsets import real_digest

    root, enc, head, _ = tuned
    cal, thr = head.config.calibration, head.config.thresholds
    training = head.config.trained_on["training_hash"]
    assert training == training_hash(toy_corpus(), [], [], f"{enc}@256", TUNED)
    assert head.config.trained_on["real_sha256_16"] == real_digest([])
    assert head.config.version == head_version(training, cal, thr)
    moved = {**cal, "complaint": (cal["complaint"][0] + 0.01, cal["complaint"][1])}
    assert head_version(training, moved, thr) != head.config.version
    assert head_version(training, cal, {**thr, "boycott": thr["boycott"] + 0.01}) != head.config.version
    # a model saved before versions named the calibration (its version was the training hash), whose
    # calibration was fitted at another reading: calibrated again, it gets a version of its own
    old = tmp_path / "old"
    shutil.copytree(root / "model", old)
    config = json.loads((old / "config.json").read_text())
    del config["trained_on"]["training_hash"]
    config["version"] = f"repmon-head-{training}"
    config["calibration"] = {lab: [1.0, 0.0] for lab in LABELS}
    (old / "config.json").write_text(json.dumps(config))
    again, _ = recalibrate(old, toy_corpus(), {})
    assert again.config.trained_on["training_hash"] == training
    assert again.config.version == head_version(training, again.config.calibration, again.config.thresholds)
    assert again.config.version != config["version"]
    assert Head.load(old).config.version == again.config.version
    # `repmon train --calibrate-only` on a model as trained reads as training did: same fit, same version
    same = tmp_path / "same"
    shutil.copytree(root / "model", same)
    refit, _ = recalibrate(same, toy_corpus(), {})
    for lab in LABELS:
        assert refit.config.calibration[lab] == pytest.approx(cal[lab], abs=1e-4)
    assert refit.config.version == head.config.version
    assert load_classifier(old, encoder=enc).model_version.startswith(again.config.version + "+")


def test_the_committed_model_version_is_its_training_run_and_calibration():
    from classifiers.finetune import head_version
    from classifiers.model import DEFAULT_HEAD_DIR

    config = json.loads((DEFAULT_HEAD_DIR / "config.json").read_text(encoding="utf-8"))
    trained = config["trained_on"]
    calibration = {lab: tuple(ab) for lab, ab in config["calibration"].items()}
    assert config["version"] == head_version(trained["training_hash"], calibration, config["thresholds"])
    assert len(trained["real_sha256_16"]) == 16 and trained["real_sets"]


def test_the_training_report_scores_each_dev_part_as_evaluate_all_does(tuned):
    from classifiers.evaluation import dev_summary
    from classifiers.finetune import DevLogits
    from classifiers.realsets import RealExample

    _, _, head, _ = tuned
    labels = head.config.labels
    unknown, five = (0.0,) * 5, (1.0,) * 5

    def logits(top: str, n: int) -> np.ndarray:
        row = np.full(len(labels), -8.0)
        row[labels.index(top)] = 8.0
        return np.tile(row, (n, 1))

    # Davidson: an insult read as a complaint is an attack found; the defamation score says nothing there
    def davidson(text: str, attack: int) -> RealExample:
        return RealExample(text, "davidson-offensive", unknown, unknown, "attack", attack)

    insults = [davidson(f"insult {i}", 1) for i in range(3)]
    plain = [davidson(f"plain {i}", 0) for i in range(3)]
    # a Hebrew negative comment read as neutral is a miss
    negative = [RealExample("גרוע", "hebrew-sentiment", (0.0, 0.0, 1.0, 0.0, 0.0), five)] * 2
    summary = DevLogits(
        own_dev_logits=np.zeros((0, len(labels))),
        own_dev_y=np.zeros((0, len(labels))),
        dev_logits={
            "davidson-dev": np.vstack([logits("complaint", 3), logits("praise", 3)]),
            "hebrew-sentiment-dev": np.vstack([logits("complaint", 1), logits("neutral", 1)]),
        },
    )
    lines = dev_summary(head, summary, {"davidson-dev": insults + plain, "hebrew-sentiment-dev": negative})
    assert lines[0] == "davidson-dev (6 posts): attack F1 1.000, legal alarm 0.0 %"
    assert lines[1] == "hebrew-sentiment-dev (2 posts): negative F1 0.667, legal alarm 0.0 %"


def test_a_seeded_training_run_writes_the_same_bytes_twice_and_another_seed_does_not(tmp_path):
    """What lets `repmon train` reproduce the committed model: with the same data and seed, two runs write
    the same adapter and head byte for byte, the same calibration and the same version (the own corpus and
    real posts mixed, with an auxiliary task); another seed writes other weights. The committed model's
    own reproduction (37 minutes) is checked by the command in the model card."""
    import hashlib

    from classifiers.realsets import RealExample

    enc = tiny_encoder(tmp_path / "encoder")
    five = (1.0,) * 5
    real = [
        RealExample(f"late cold {i}", "hebrew-sentiment", (0.0, 0.0, 1.0, 0.0, 0.0), five) for i in range(12)
    ] + [
        RealExample(f"fraud x {i}", "davidson-offensive", (0.0,) * 5, (0, 0, 0, 1.0, 1.0), "attack", i % 2)
        for i in range(12)
    ]

    def run(seed: int, name: str) -> tuple[dict[str, str], dict]:
        out = tmp_path / name
        finetune(
            enc,
            toy_corpus(10),
            real,
            {},
            LABELS,
            encoder=enc,
            base_version=f"{enc}@256",
            found_sets=["hebrew-sentiment", "davidson-offensive"],
            out_dir=out,
            settings=Settings(epochs=1, batch_size=8, lora_rank=4, seed=seed),
            bar=False,
        )
        digests = {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*.safetensors"))
        }
        return digests, json.loads((out / "config.json").read_text())

    first, first_cfg = run(0, "a")
    again, again_cfg = run(0, "b")
    other, other_cfg = run(1, "c")
    assert set(first) == {"adapter/adapter_model.safetensors", "head.safetensors"}
    assert again == first
    assert again_cfg == first_cfg
    assert other["adapter/adapter_model.safetensors"] != first["adapter/adapter_model.safetensors"]
    assert other["head.safetensors"] != first["head.safetensors"]
    assert other_cfg["version"] != first_cfg["version"]


def test_a_set_left_out_on_request_is_read_as_if_it_were_absent(tmp_path):
    """`repmon train --without SET` (an ablation) trains and calibrates exactly as a datasets folder that
    lacks the set would: the same rows, so the same training run name, and no dev part of it."""
    from classifiers.finetune import real_dev_sets
    from classifiers.realsets import real_digest

    full, partial = tmp_path / "full", tmp_path / "partial"
    for root in (full, partial):
        (root / "davidson-offensive").mkdir(parents=True)
        (root / "davidson-offensive" / "labeled_data.csv").write_text(
            ",count,hate_speech,offensive_language,neither,class,tweet\n"
            + "".join(f"{i},3,0,0,3,{i % 3},tweet number {i}\n" for i in range(40))
        )
    (full / "hebrew-sentiment").mkdir()
    for split in ("train", "dev"):
        (full / "hebrew-sentiment" / f"{split}.tsv").write_text(
            "comment\tlabel\nטוב מאוד\t0\nנורא\t1\n", encoding="utf-8"
        )
    with_all, found_all = find_training_sets(full, LABELS)
    assert "hebrew-sentiment" in found_all and "hebrew-sentiment-dev" in real_dev_sets(full, LABELS)
    warnings: list[str] = []
    left, found = find_training_sets(full, LABELS, warnings.append, without=["hebrew-sentiment"])
    absent, found_absent = find_training_sets(partial, LABELS)
    assert found == found_absent == ["davidson-offensive"]
    assert left == absent and real_digest(left) == real_digest(absent) != real_digest(with_all)
    assert not any("hebrew-sentiment" in w for w in warnings)  # asked for: not reported as missing
    dev = real_dev_sets(full, LABELS, without=["hebrew-sentiment"])
    assert set(dev) == set(real_dev_sets(partial, LABELS)) == {"davidson-dev"}
