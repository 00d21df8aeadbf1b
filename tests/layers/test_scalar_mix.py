import numpy as np
import pytest
from keras import ops

from kerazoo.layers import ScalarMix


def test_scalar_mix_equals_gamma_times_the_softmax_weighted_sum():
    rng = np.random.default_rng(0)
    layers = [rng.normal(size=(2, 4, 6)).astype("float32") for _ in range(3)]
    mix = ScalarMix()
    mix(layers)
    w = np.array([0.3, -1.2, 2.0], "float32")
    mix.scalar_weights.assign(w)
    mix.gamma.assign(1.7)
    s = np.exp(w) / np.exp(w).sum()
    expected = 1.7 * sum(s_j * h_j for s_j, h_j in zip(s, layers))
    np.testing.assert_allclose(ops.convert_to_numpy(mix(layers)), expected, atol=1e-5)
    np.testing.assert_allclose(mix.mixing_weights(), s, atol=1e-6)


def test_a_new_mix_is_the_plain_average():
    layers = [np.full((1, 2), float(j), "float32") for j in range(4)]
    np.testing.assert_allclose(ops.convert_to_numpy(ScalarMix()(layers)), 1.5, atol=1e-6)


def test_layers_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        ScalarMix()([np.zeros((1, 2), "float32"), np.zeros((1, 3), "float32")])
