import numpy as np
import pytest
from keras import ops

from kerazoo.layers import SampledSoftmax
from kerazoo.layers.sampled_softmax import sampled_softmax_nll
from tests.test_case import randomize_weights


def log_q(ids, vocabulary_size, num_samples):
    return np.log(num_samples * (np.log(ids + 2.0) - np.log(ids + 1.0)) / np.log(vocabulary_size + 1.0))


def test_full_softmax_nll_equals_numpy_and_ignores_target_zero():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(2, 3, 4)).astype("float32")
    targets = np.array([[1, 5, 0], [2, 0, 7]], "int32")
    layer = SampledSoftmax(9, num_samples=4)
    layer(hidden)
    randomize_weights(layer)
    W, b = ops.convert_to_numpy(layer.kernel), ops.convert_to_numpy(layer.bias)
    logits = hidden @ W.T + b
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, targets[..., None], -1)[..., 0] * (targets != 0)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.nll(hidden, targets)), expected, atol=1e-5)


def test_sampled_nll_equals_the_corrected_formula_with_accidental_hits_removed():
    rng = np.random.default_rng(1)
    V, S = 20, 5
    hidden = rng.normal(size=(3, 4)).astype("float32")
    targets = np.array([3, 7, 12], "int32")
    sampled = np.array([0, 3, 3, 9, 15], "int32")  # id 3 is an accidental hit for row 0
    W = rng.normal(size=(V, 4)).astype("float32")
    b = rng.normal(size=(V,)).astype("float32")
    got = ops.convert_to_numpy(sampled_softmax_nll(hidden, targets, W, b, sampled, V))
    expected = []
    for h, y in zip(hidden, targets):
        true = h @ W[y] + b[y] - log_q(y, V, S)
        others = [h @ W[s] + b[s] - log_q(s, V, S) for s in sampled if s != y]
        expected.append(np.log(np.exp(true) + np.sum(np.exp(others))) - true)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_sampled_nll_equals_tensorflows_sampled_softmax_loss_given_the_same_samples():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(2)
    V, S = 50, 12
    hidden = rng.normal(size=(6, 4)).astype("float32")
    targets = rng.integers(1, V, 6).astype("int32")
    sampled = rng.integers(0, V, S).astype("int32")
    W = rng.normal(size=(V, 4)).astype("float32")
    b = rng.normal(size=(V,)).astype("float32")
    q = lambda ids: S * (np.log(ids + 2.0) - np.log(ids + 1.0)) / np.log(V + 1.0)  # noqa: E731
    reference = tf.nn.sampled_softmax_loss(
        W, b, targets[:, None].astype("int64"), hidden, S, V,
        sampled_values=(sampled.astype("int64"), q(targets)[:, None].astype("float32"), q(sampled).astype("float32")),
    )
    got = sampled_softmax_nll(hidden, targets, W, b, sampled, V)
    np.testing.assert_allclose(ops.convert_to_numpy(got), reference.numpy(), atol=1e-5)


def test_sampler_draws_frequent_ids_more_often():
    layer = SampledSoftmax(1000, num_samples=999, seed=0)
    layer.build((None, 2))
    ids = np.concatenate([ops.convert_to_numpy(layer.sample()) for _ in range(20)])
    assert ids.min() >= 0 and ids.max() < 1000
    # log-uniform: P(id < 10) = log(11) / log(1001) = 0.347
    assert abs(np.mean(ids < 10) - np.log(11) / np.log(1001)) < 0.03


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="num_samples=10"):
        SampledSoftmax(10, num_samples=10)
    with pytest.raises(ValueError, match="vocabulary_size=1"):
        SampledSoftmax(1)
