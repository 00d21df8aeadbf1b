import numpy as np
from keras import ops

from kerazoo.layers import Highway
from tests.test_case import randomize_weights


def test_highway_equals_the_gated_formula_in_numpy():
    x = np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32")
    layer = Highway()
    layer(x)
    randomize_weights(layer)
    got = ops.convert_to_numpy(layer(x))
    w_h, b_h = (ops.convert_to_numpy(v) for v in (layer.transform.kernel, layer.transform.bias))
    w_t, b_t = (ops.convert_to_numpy(v) for v in (layer.gate.kernel, layer.gate.bias))
    t = 1.0 / (1.0 + np.exp(-(x @ w_t + b_t)))
    expected = t * np.maximum(x @ w_h + b_h, 0.0) + (1.0 - t) * x
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_a_new_highway_layer_mostly_carries_its_input():
    layer = Highway()
    layer(np.zeros((1, 4), "float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(layer.gate.bias), -2.0)
