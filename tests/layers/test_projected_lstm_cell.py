import keras
import numpy as np
import pytest
from keras import ops

from kerazoo.layers import ProjectedLSTMCell
from tests.test_case import randomize_weights


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numpy_lstmp(x, W, U, b, P, cell_clip, projection_clip):
    batch, time, _ = x.shape
    units, projection = P.shape
    r, c = np.zeros((batch, projection)), np.zeros((batch, units))
    outputs = []
    for t in range(time):
        i, f, g, o = np.split(x[:, t] @ W + r @ U + b, 4, axis=-1)
        c = np.clip(sigmoid(f) * c + sigmoid(i) * np.tanh(g), -cell_clip, cell_clip)
        r = np.clip((sigmoid(o) * np.tanh(c)) @ P, -projection_clip, projection_clip)
        outputs.append(r)
    return np.stack(outputs, axis=1)


def test_projected_lstm_equals_the_lstmp_equations_in_numpy():
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    layer = keras.layers.RNN(ProjectedLSTMCell(5, 2, cell_clip=0.8, projection_clip=0.5), return_sequences=True)
    layer(x)
    randomize_weights(layer, scale=0.8)
    cell = layer.cell
    weights = [ops.convert_to_numpy(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias, cell.projection_kernel)]
    expected = numpy_lstmp(x, *weights, 0.8, 0.5)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected, atol=1e-5)
    assert np.abs(expected).max() == pytest.approx(0.5)  # the clip was reached, so it is tested


def test_forget_gate_bias_starts_at_one():
    cell = ProjectedLSTMCell(3, 2)
    cell.build((None, 4))
    np.testing.assert_array_equal(ops.convert_to_numpy(cell.bias), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="projection_dim=0"):
        ProjectedLSTMCell(4, 0)
    with pytest.raises(ValueError, match="cell_clip=-1"):
        ProjectedLSTMCell(4, 2, cell_clip=-1)
