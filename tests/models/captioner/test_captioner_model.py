"""The captioners against their equations: the attention step, causality, cached decoding, the penalty."""

import keras
import numpy as np
import pytest
from keras import ops

from kerazoo import build_caption_transformer
from kerazoo import build_captioner
from kerazoo.models.captioner.captioner_model import attention_penalty
from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary
from tests.test_case import randomize_weights

VOCABULARY = CaptionVocabulary.from_grammar()
CAPTIONS = ["a small red circle to the left of a large blue square", "there is a large green cross"]


def tiny(kind, **kwargs):
    keras.utils.set_random_seed(1)
    if kind == "lstm":
        model = build_captioner(VOCABULARY.size, embedding_dim=6, units=10, attention_units=7, filters=[4, 6, 8],
                                feature_dim=8, image_size=16, max_sequence_length=16, **kwargs)
    else:
        model = build_caption_transformer(VOCABULARY.size, num_layers=2, num_heads=2, hidden_dim=8,
                                          intermediate_dim=12, filters=[4, 6, 8], image_size=16,
                                          max_sequence_length=16)
    inputs = batch()
    model(inputs)
    return randomize_weights(model, seed=4, scale=0.4), inputs


def batch():
    images = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    ids, _ = VOCABULARY.encode_batch(CAPTIONS, 13)
    return {"images": images, "decoder_token_ids": ids}


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_the_attention_step_is_its_equation_in_numpy():
    model, inputs = tiny("lstm")
    grid = ops.convert_to_numpy(model.encoder(inputs["images"]))
    assert grid.shape == (2, 16, 8)  # a 4x4 grid of 8-wide cells
    h = np.random.default_rng(2).normal(size=(2, 10)).astype("float32")
    attention = model.decoder.attention
    context, weights = attention(h, grid)
    w_q = ops.convert_to_numpy(attention.query_dense.kernel)
    w_k, b_k = ops.convert_to_numpy(attention.key_dense.kernel), ops.convert_to_numpy(attention.key_dense.bias)
    v = ops.convert_to_numpy(attention.score_vector)
    # e_ti = v^T tanh(W a_i + U h_{t-1}); alpha = softmax_i(e); z_t = sum_i alpha_ti a_i
    scores = np.einsum("bsu,u->bs", np.tanh(grid @ w_k + b_k + (h @ w_q)[:, None, :]), v)
    expected_weights = softmax(scores)
    np.testing.assert_allclose(ops.convert_to_numpy(weights), expected_weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(context), np.einsum("bs,bsk->bk", expected_weights, grid),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_a_word_cannot_see_later_words(kind):
    model, inputs = tiny(kind)
    before = ops.convert_to_numpy(model(inputs))
    changed = dict(inputs)
    ids = inputs["decoder_token_ids"].copy()
    ids[:, 5:] = (ids[:, 5:] + 7) % VOCABULARY.size
    changed["decoder_token_ids"] = ids
    after = ops.convert_to_numpy(model(changed))
    np.testing.assert_allclose(after[:, :5], before[:, :5], rtol=1e-5, atol=1e-5)
    assert np.abs(after[:, 5:] - before[:, 5:]).max() > 1e-3


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_cached_decoding_equals_a_full_recompute(kind):
    model, inputs = tiny(kind)
    full = ops.convert_to_numpy(model(inputs))
    state = model.initial_decoding_state(inputs["images"])
    steps = []
    for t in range(inputs["decoder_token_ids"].shape[1]):
        logits, state = model.decoding_step(inputs["decoder_token_ids"][:, t], state)
        steps.append(ops.convert_to_numpy(logits))
    np.testing.assert_allclose(np.stack(steps, axis=1), full, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_attention_maps_are_distributions_over_the_grid(kind):
    model, inputs = tiny(kind)
    maps = ops.convert_to_numpy(model.attention_maps(inputs["images"], inputs["decoder_token_ids"]))
    assert maps.shape == (2, 13, 16)
    np.testing.assert_allclose(maps.sum(-1), 1.0, rtol=1e-5)


def test_the_doubly_stochastic_penalty_is_its_equation_and_joins_the_loss():
    weights = np.random.default_rng(5).dirichlet(np.ones(16), size=(2, 13)).astype("float32")
    ids = batch()["decoder_token_ids"]
    mask = (ids != 0).astype("float32")
    expected = np.mean(np.sum((1.0 - (weights * mask[..., None]).sum(1)) ** 2, axis=-1))
    np.testing.assert_allclose(ops.convert_to_numpy(attention_penalty(weights, ids)), expected, rtol=1e-5)

    model, inputs = tiny("lstm", attention_penalty=0.5)
    model(inputs)
    maps = ops.convert_to_numpy(model.attention_maps(inputs["images"], inputs["decoder_token_ids"]))
    penalty = np.mean(np.sum((1.0 - (maps * (inputs["decoder_token_ids"] != 0)[..., None]).sum(1)) ** 2, -1))
    np.testing.assert_allclose(float(ops.convert_to_numpy(model.losses[0])), 0.5 * penalty, rtol=1e-4)
    plain, _ = tiny("lstm")
    plain(inputs)
    assert plain.losses == []


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="initial_state"):
        build_captioner(VOCABULARY.size, initial_state="zeros")
    with pytest.raises(ValueError, match="image_size"):
        build_captioner(VOCABULARY.size, image_size=30, filters=[4, 4, 4])
    with pytest.raises(ValueError, match="attention_penalty"):
        build_captioner(VOCABULARY.size, attention_penalty=-1.0)


def test_the_model_survives_saving(tmp_path):
    from tests.test_case import run_model_saving_test

    model, inputs = tiny("lstm", initial_state="learned")
    run_model_saving_test(model, inputs, tmp_path)
