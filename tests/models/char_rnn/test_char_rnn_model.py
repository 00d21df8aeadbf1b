import numpy as np
import pytest
import keras

from kerazoo import CharRNN
from kerazoo import build_gru
from kerazoo import build_lstm
from kerazoo import build_simple_rnn
from kerazoo.models.char_rnn import CHAR_RNN_CONFIGS
from tests.test_case import randomize_weights
from tests.test_case import random_ids
from tests.test_case import run_model_saving_test

VOCAB = 10


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_logits(cell_type, weights, ids, reset_after=False):
    """The lectures' equations in NumPy, on one-hot inputs, for a 1-layer model."""
    x_all = np.eye(VOCAB, dtype="float64")[ids]
    kernel, recurrent, bias, head_w, head_b = [np.asarray(w, "float64") for w in weights]
    units = recurrent.shape[0]
    batch, time = ids.shape
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    outputs = []
    for t in range(time):
        x = x_all[:, t]
        if cell_type == "simple_rnn":
            h = np.tanh(x @ kernel + h @ recurrent + bias)
        elif cell_type == "lstm":
            W = np.split(kernel, 4, axis=1)
            U = np.split(recurrent, 4, axis=1)
            b = np.split(bias, 4)
            i = sigmoid(x @ W[0] + h @ U[0] + b[0])
            f = sigmoid(x @ W[1] + h @ U[1] + b[1])
            g = np.tanh(x @ W[2] + h @ U[2] + b[2])
            o = sigmoid(x @ W[3] + h @ U[3] + b[3])
            c = f * c + i * g
            h = o * np.tanh(c)
        else:  # GRU, Keras gate order z, r, h
            W = np.split(kernel, 3, axis=1)
            U = np.split(recurrent, 3, axis=1)
            if reset_after:
                b_in, b_rec = bias[0], bias[1]
                bi, br = np.split(b_in, 3), np.split(b_rec, 3)
                z = sigmoid(x @ W[0] + bi[0] + h @ U[0] + br[0])
                r = sigmoid(x @ W[1] + bi[1] + h @ U[1] + br[1])
                candidate = np.tanh(x @ W[2] + bi[2] + r * (h @ U[2] + br[2]))
            else:
                b = np.split(bias, 3)
                z = sigmoid(x @ W[0] + h @ U[0] + b[0])
                r = sigmoid(x @ W[1] + h @ U[1] + b[1])
                candidate = np.tanh(x @ W[2] + (r * h) @ U[2] + b[2])
            h = z * h + (1.0 - z) * candidate
        outputs.append(h @ head_w + head_b)
    return np.stack(outputs, axis=1)


@pytest.mark.parametrize(
    "cell_type,reset_after",
    [("simple_rnn", False), ("lstm", False), ("gru", False), ("gru", True)],
)
def test_cell_matches_its_equations(cell_type, reset_after):
    model = CharRNN(VOCAB, cell_type=cell_type, units=4, num_layers=1, reset_after=reset_after)
    randomize_weights(model, seed=1)
    ids = random_ids(VOCAB, batch=3, time=6)
    expected = numpy_logits(cell_type, model.get_weights(), ids, reset_after)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(ids)), expected, atol=1e-5)


@pytest.mark.parametrize("cell_type", ["simple_rnn", "lstm", "gru"])
def test_fused_and_cell_api_stacks_are_equivalent(cell_type):
    fused = CharRNN(VOCAB, cell_type=cell_type, units=5, num_layers=3, embedding_dim=4)
    cells = CharRNN(VOCAB, cell_type=cell_type, units=5, num_layers=3, embedding_dim=4, cell_api=True)
    assert [w.shape for w in fused.weights] == [w.shape for w in cells.weights]
    randomize_weights(fused, seed=2)
    cells.set_weights(fused.get_weights())
    ids = random_ids(VOCAB, batch=2, time=7)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(cells(ids)), keras.ops.convert_to_numpy(fused(ids)), atol=1e-5
    )


def test_lstm_cell_api_is_stacked_lstm_cells():
    model = build_lstm(VOCAB, units=4, num_layers=2, cell_api=True)
    rnn = model.get_layer("rnn")
    assert isinstance(rnn.cell, keras.layers.StackedRNNCells)
    assert all(isinstance(cell, keras.layers.LSTMCell) for cell in rnn.cell.cells)


@pytest.mark.parametrize("cell_api", [False, True])
@pytest.mark.parametrize("builder", [build_simple_rnn, build_lstm, build_gru])
def test_streaming_state_continues_the_sequence(builder, cell_api):
    """Two calls with carried state give the logits of one call over the whole sequence."""
    model = builder(VOCAB, units=6, num_layers=2, embedding_dim=3, cell_api=cell_api)
    randomize_weights(model, seed=3)
    streaming = model.streaming_model()
    ids = random_ids(VOCAB, batch=2, time=8)
    full = keras.ops.convert_to_numpy(model(ids))
    zeros = [np.zeros((2, size), "float32") for size in streaming.state_sizes]
    first = streaming([ids[:, :5], *zeros])
    second = streaming([keras.ops.convert_to_tensor(ids[:, 5:]), *first[1:]])
    stepped = np.concatenate(
        [keras.ops.convert_to_numpy(first[0]), keras.ops.convert_to_numpy(second[0])], axis=1
    )
    np.testing.assert_allclose(stepped, full, atol=1e-5)


@pytest.mark.parametrize("embedding_dim", [None, 3])
def test_saving_round_trips(embedding_dim, tmp_path):
    model = build_lstm(VOCAB, units=4, num_layers=2, embedding_dim=embedding_dim, dropout=0.1)
    randomize_weights(model)
    restored = run_model_saving_test(model, random_ids(VOCAB), tmp_path)
    assert isinstance(restored, CharRNN)
    assert restored.get_config()["embedding_dim"] == embedding_dim


def test_streaming_model_saves(tmp_path):
    model = build_gru(VOCAB, units=4, num_layers=1, return_state=True)
    inputs = [random_ids(VOCAB), np.ones((2, 4), "float32")]
    expected = [keras.ops.convert_to_numpy(t) for t in model(inputs)]
    path = str(tmp_path / "streaming.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    for got, want in zip(restored(inputs), expected):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(got), want, atol=1e-6)


def test_one_fit_step_lowers_the_loss():
    model = build_lstm(VOCAB, units=8, num_layers=1, embedding_dim=4)
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    ids = np.tile(np.arange(VOCAB, dtype="int32"), (4, 2))
    before = model.evaluate(ids[:, :-1], ids[:, 1:], verbose=0)
    model.fit(ids[:, :-1], ids[:, 1:], epochs=5, verbose=0)
    after = model.evaluate(ids[:, :-1], ids[:, 1:], verbose=0)
    assert after < before - 0.1


@pytest.mark.smoke
def test_output_shape_and_defaults():
    model = build_simple_rnn(VOCAB)
    assert model.units == 64 and model.num_layers == 1
    assert keras.ops.shape(model(random_ids(VOCAB, 2, 5))) == (2, 5, VOCAB)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"units": 0}, "units"),
        ({"num_layers": -1}, "num_layers"),
        ({"dropout": 1.5}, "dropout"),
        ({"cell_type": "transformer"}, "cell_type"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    config = {"vocabulary_size": VOCAB, "cell_type": "lstm", "units": 4, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        CharRNN(**config)


def test_presets_build():
    for name, preset in CHAR_RNN_CONFIGS.items():
        kwargs = dict(preset["model_kwargs"], units=4)
        model = CharRNN(VOCAB, cell_type=preset["model"], **kwargs)
        assert model.cell_type == preset["model"], name
    char_rnn = CHAR_RNN_CONFIGS["char-rnn"]
    assert char_rnn["model_kwargs"]["units"] == 128 and char_rnn["model_kwargs"]["num_layers"] == 2
    assert char_rnn["training"]["seq_length"] == 50 and char_rnn["training"]["batch_size"] == 50
    lecture = CHAR_RNN_CONFIGS["rnn-lecture"]
    assert lecture["model_kwargs"]["units"] == 64 and lecture["training"]["seq_length"] == 50
