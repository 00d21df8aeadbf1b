import numpy as np
import pytest
from keras import ops

from kerazoo.layers import MultiHeadAttention
from tests.test_case import randomize_weights


def numpy_attention(layer, query, value, mask):
    """softmax(Q K^T / sqrt(d_k)) V per head, then Concat(heads) W^O, from the layer's weights."""
    w = {v.path.split("/")[-2] + "/" + v.name: ops.convert_to_numpy(v) for v in layer.weights}
    q = np.einsum("btd,dhk->bthk", query, w["query/kernel"]) + w["query/bias"]
    k = np.einsum("btd,dhk->bthk", value, w["key/kernel"]) + w["key/bias"]
    v = np.einsum("btd,dhk->bthk", value, w["value/kernel"]) + w["value/bias"]
    scores = np.einsum("bthk,bshk->bhts", q, k) / np.sqrt(layer.key_dim)
    scores = np.where(mask[:, None], scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    heads = np.einsum("bhts,bshk->bthk", weights, v)
    return np.einsum("bthk,hkd->btd", heads, w["attention_output/kernel"]) + w["attention_output/bias"], weights


@pytest.fixture
def layer_and_inputs():
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 4, 6)).astype("float32")
    value = rng.normal(size=(2, 5, 6)).astype("float32")
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    layer(query, value)
    randomize_weights(layer)
    return layer, query, value


def test_attention_equals_numpy_with_a_padding_mask(layer_and_inputs):
    layer, query, value = layer_and_inputs
    padding = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "bool")
    fused = ops.convert_to_numpy(layer(query, value, padding_mask=padding))
    explicit, weights = layer(query, value, padding_mask=padding, return_attention_scores=True)
    expected, expected_weights = numpy_attention(layer, query, value, np.broadcast_to(padding[:, None], (2, 4, 5)))
    np.testing.assert_allclose(fused, expected, atol=1e-4)
    np.testing.assert_allclose(ops.convert_to_numpy(explicit), expected, atol=1e-4)
    np.testing.assert_allclose(ops.convert_to_numpy(weights), expected_weights, atol=1e-5)
    assert np.all(ops.convert_to_numpy(weights)[0, :, :, 3:] == 0)


def test_causal_and_padding_masks_combine(layer_and_inputs):
    layer, query, _ = layer_and_inputs
    padding = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], "bool")
    causal = np.tril(np.ones((4, 4), "bool"))
    got, weights = layer(query, padding_mask=padding, use_causal_mask=True, return_attention_scores=True)
    expected, expected_weights = numpy_attention(layer, query, query, causal[None] & padding[:, None])
    np.testing.assert_allclose(ops.convert_to_numpy(got), expected, atol=1e-4)
    np.testing.assert_allclose(ops.convert_to_numpy(weights), expected_weights, atol=1e-5)
    fused = ops.convert_to_numpy(layer(query, use_causal_mask=True))
    only_causal, _ = numpy_attention(layer, query, query, np.broadcast_to(causal, (2, 4, 4)))
    np.testing.assert_allclose(fused, only_causal, atol=1e-4)


def test_dropout_never_drops_the_causal_mask(layer_and_inputs):
    _, query, _ = layer_and_inputs
    layer = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5)
    layer(query)
    _, weights = layer(query, use_causal_mask=True, return_attention_scores=True, training=True)
    future = np.triu(np.ones((4, 4), "bool"), k=1)
    assert np.all(ops.convert_to_numpy(weights)[:, :, future] == 0)


def test_cached_attention_equals_full_causal_attention(layer_and_inputs):
    layer, query, _ = layer_and_inputs
    full = ops.convert_to_numpy(layer(query, use_causal_mask=True))
    cache = np.zeros((2, 2, 8, 2, 3), "float32")
    outputs = []
    for t in range(4):
        out, cache = layer(query[:, t : t + 1], cache=cache, cache_update_index=t)
        outputs.append(ops.convert_to_numpy(out))
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), full, atol=1e-5)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="num_heads=0"):
        MultiHeadAttention(num_heads=0, key_dim=4)
    with pytest.raises(ValueError, match="dropout=1.0"):
        MultiHeadAttention(num_heads=1, key_dim=4, dropout=1.0)
