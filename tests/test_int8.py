"""The int8 feed-forward layers (``classifiers.int8``) and the load-time choice of arithmetic."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from classifiers import encoder as encoder_module
from classifiers import int8
from classifiers.errors import ClassifierError

pytestmark = pytest.mark.skipif(not int8.int8_matmul_works(), reason="torch has no int8 matmul on this CPU")


def _block(seed: int = 0, width: int = 384, inner: int = 1536):
    torch.manual_seed(seed)
    up, down = torch.nn.Linear(width, inner), torch.nn.Linear(inner, width)
    with torch.no_grad():  # weights of a trained layer's size: std about 0.04
        up.weight.mul_(1.2)
        down.weight.mul_(1.6)
    return up, down


def _relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).norm() / want.norm())


def test_the_int8_block_matches_the_float32_block():
    up, down = _block()
    x = torch.randn(2, 40, 384)
    x[0, 3] *= 30  # an outlying token must not coarsen the others
    with torch.inference_mode():
        want = down(F.gelu(up(x)))
        got = int8.Int8FeedForward(up, F.gelu, down)(x)
    assert got.shape == want.shape and got.dtype == torch.float32
    assert _relative_error(got, want) < 0.02
    assert _relative_error(got[1], want[1]) < 0.02


def test_each_token_is_quantised_alone_so_a_post_does_not_depend_on_its_batch():
    """Stock dynamic int8 gave one scale to the whole batch; here a row's result is the same alone."""
    up, down = _block(1)
    block = int8.Int8FeedForward(up, F.gelu, down)
    x = torch.randn(50, 384)
    x[7] *= 100
    with torch.inference_mode():
        together = block(x)
        alone = torch.cat([block(x[i : i + 1]) for i in range(len(x))])
    torch.testing.assert_close(together, alone, rtol=0, atol=1e-5)


def test_chunks_of_rows_give_the_same_answer(monkeypatch):
    up, down = _block(2)
    block = int8.Int8FeedForward(up, F.gelu, down)
    x = torch.randn(3, 70, 384)
    with torch.inference_mode():
        whole = block(x)
        monkeypatch.setattr(int8, "CHUNK_ROWS", 16)
        chunked = block(x)
    torch.testing.assert_close(chunked, whole, rtol=0, atol=1e-5)


def test_weights_are_int8_with_one_scale_per_output_channel():
    up, _down = _block(3)
    q, scale = int8.quantize_weight(up.weight)
    assert q.dtype == torch.int8 and q.shape == (384, 1536) and scale.shape == (1536,)
    assert int(q.abs().max()) == 127
    torch.testing.assert_close(
        q.t().float() * scale[:, None], up.weight.detach(), atol=float(scale.max()), rtol=0
    )


def test_a_bert_model_runs_with_int8_feed_forward_layers_and_stays_close():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=256
    )
    model = BertModel(config, add_pooling_layer=False).eval()
    ids = torch.randint(5, 50, (4, 12))
    with torch.inference_mode():
        want = model(input_ids=ids).last_hidden_state
        model = int8.quantize_feed_forward(model)
        got = model(input_ids=ids).last_hidden_state
    assert isinstance(model.encoder.layer[0].intermediate, int8.Int8FeedForward)
    assert isinstance(model.encoder.layer[1].output.dense, torch.nn.Identity)
    cosine = F.cosine_similarity(got.reshape(-1, 64), want.reshape(-1, 64))
    assert float(cosine.min()) > 0.99


def test_a_model_without_bert_layers_is_refused_with_a_clear_error():
    with pytest.raises(ClassifierError, match=r"no BERT-style layers.*set REPMON_PRECISION to auto or fp32"):
        int8.quantize_feed_forward(torch.nn.Linear(4, 4))


def test_int8_where_torch_cannot_multiply_int8_says_what_to_do(monkeypatch):
    monkeypatch.setattr(int8, "int8_matmul_works", lambda: False)
    with pytest.raises(ClassifierError, match="cannot multiply int8 matrices on this CPU"):
        int8.quantize_feed_forward(torch.nn.Linear(4, 4))


def test_auto_takes_whichever_arithmetic_the_clock_says_is_fastest(monkeypatch):
    assert encoder_module.choose_precision("auto", timer=lambda: "int8") == "int8"
    assert encoder_module.choose_precision("fp32", timer=lambda: "int8") == "fp32"
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    assert encoder_module.fastest_precision(reps=2) in ("bf16", "fp32", "int8")
    torch.testing.assert_close(torch.rand(3), expected)  # the caller's random stream is untouched
    monkeypatch.setattr(encoder_module, "cpu_has_native_bf16", lambda: False)
    assert encoder_module.fastest_precision(reps=2) in ("fp32", "int8")
    monkeypatch.setattr(int8, "int8_matmul_works", lambda: False)
    assert encoder_module.fastest_precision(reps=2) == "fp32"


def test_the_real_classifier_in_int8_gives_the_float32_answers(classifier):
    """The shipped model with int8 feed-forward layers: embeddings within 0.99 cosine of float32 and the
    same primary labels on posts of every kind (the dev yardsticks: the model card's table)."""
    from classifiers.model import load_classifier

    posts = [
        "The delivery was two hours late and the food was cold. Please fix this.",
        "Thank you for the amazing service yesterday, see you next week!",
        "They are scammers, they stole my money and sold me expired products",
        "Everyone stop buying from them until they pay their workers! Share!",
        "What time do you open on Friday?",
        "השירות היה גרוע והמשלוח הגיע באיחור של שעתיים",
        "תודה רבה על היחס המדהים, ממליצה בחום",
        "הם רמאים, גנבו לי את הכסף ומכרו מוצרים פגי תוקף",
        "כולם להחרים אותם עד שיחזירו את הכסף! תשתפו",
    ]
    fp32 = load_classifier(precision="fp32")
    int8_model = load_classifier(precision="int8")
    assert int8_model.model_version.endswith("+int8")
    a, b = fp32.embed(posts), int8_model.embed(posts)
    assert float((a * b).sum(axis=1).min()) > 0.99
    want = [p.label for p in fp32.predict(posts)]
    got = [p.label for p in int8_model.predict(posts)]
    assert got == want
    assert np.isfinite(b).all()


def test_only_temporaries_are_quantised_in_place():
    """The block's input is the layer's residual: it must come out unchanged."""
    up, down = _block(4)
    x = torch.randn(20, 384)
    before = x.clone()
    with torch.inference_mode():
        int8.Int8FeedForward(up, F.gelu, down)(x)
    torch.testing.assert_close(x, before, rtol=0, atol=0)
    _scale, q = int8.quantize_rows(x.clone(), overwrite=True)
    torch.testing.assert_close(int8.quantize_rows(x)[1], q, rtol=0, atol=0)
