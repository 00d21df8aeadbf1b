import numpy as np
import pytest
from keras import ops

from kerazoo.layers.additive_attention import AdditiveAttention
from tests.test_case import randomize_weights


def test_additive_attention_equals_bahdanaus_equations_in_numpy():
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 3)).astype("float32")
    keys = rng.normal(size=(2, 4, 5)).astype("float32")
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool)
    layer = AdditiveAttention(6)
    layer(query, keys)
    randomize_weights(layer)
    context, weights = layer(query, keys, key_mask=mask)
    W = ops.convert_to_numpy(layer.query_dense.kernel)
    U, b = ops.convert_to_numpy(layer.key_dense.kernel), ops.convert_to_numpy(layer.key_dense.bias)
    v = ops.convert_to_numpy(layer.score_vector)
    scores = np.tanh((query @ W)[:, None, :] + keys @ U + b) @ v
    scores = np.where(mask, scores, -np.inf)
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(ops.convert_to_numpy(weights), expected, atol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(context), np.einsum("bs,bsk->bk", expected, keys), atol=1e-5)


def test_bad_units():
    with pytest.raises(ValueError, match="units=0"):
        AdditiveAttention(0)
