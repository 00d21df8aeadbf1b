import numpy as np
import pytest
import keras

from kerazoo.models.word2vec import build_skipgram
from kerazoo.models.word2vec import build_skipgram_softmax
from tests.test_case import randomize_weights
from tests.test_case import run_model_saving_test


def _batch(vocabulary_size=10, batch=6, num_negative=3, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "target": rng.integers(0, vocabulary_size, batch).astype("int32"),
        "context": rng.integers(0, vocabulary_size, batch).astype("int32"),
        "negative": rng.integers(0, vocabulary_size, (batch, num_negative)).astype("int32"),
    }


def _tables(model):
    return (
        keras.ops.convert_to_numpy(model.get_layer("target_embedding").embeddings),
        keras.ops.convert_to_numpy(model.get_layer("context_embedding").embeddings),
    )


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def test_negative_sampling_loss_matches_numpy_on_fixed_weights():
    model = randomize_weights(build_skipgram(10, embedding_dim=4, num_negative=3), seed=1)
    x = _batch()
    v, u = _tables(model)
    positive = np.sum(v[x["target"]] * u[x["context"]], axis=1)
    negative = np.einsum("bd,bkd->bk", v[x["target"]], u[x["negative"]])
    # -[log σ(v'_o·v_i) + Σ_k log σ(-v'_n·v_i)], averaged over the batch.
    expected = -np.mean(_log_sigmoid(positive) + _log_sigmoid(-negative).sum(axis=1))
    logits = model(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(logits[:, 0]), positive, rtol=1e-5, atol=1e-6)
    loss = model.compute_loss(x=x, y_pred=logits)
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loss)), expected, rtol=1e-5)


def test_one_sgd_step_is_word2vec_c_update_for_one_pair():
    # word2vec.c: g = α (label - σ(v'_j·v_i)); v'_j += g v_i; v_i += Σ_j g v'_j (old values).
    alpha = 0.1
    model = randomize_weights(build_skipgram(8, embedding_dim=4, num_negative=2), seed=2)
    x = _batch(vocabulary_size=8, batch=1, num_negative=2, seed=3)
    x["negative"] = np.array([[5, 6]], "int32")
    x["target"], x["context"] = np.array([1], "int32"), np.array([2], "int32")
    v, u = _tables(model)
    outputs, labels = [2, 5, 6], np.array([1.0, 0.0, 0.0])
    g = alpha * (labels - 1 / (1 + np.exp(-(u[outputs] @ v[1]))))
    expected_v, expected_u = v.copy(), u.copy()
    expected_v[1] += g @ u[outputs]
    expected_u[outputs] += g[:, None] * v[1]
    model.compile(optimizer=keras.optimizers.SGD(alpha))  # batch of 1: rate α per pair
    model.fit(_OneBatch(x), epochs=1, verbose=0)
    new_v, new_u = _tables(model)
    np.testing.assert_allclose(new_v, expected_v, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_u, expected_u, rtol=1e-5, atol=1e-7)


class _OneBatch(keras.utils.PyDataset):
    def __init__(self, x):
        super().__init__()
        self.x = x

    def __len__(self):
        return 1

    def __getitem__(self, index):
        return (self.x,)


def test_full_softmax_loss_matches_numpy_on_fixed_weights():
    model = randomize_weights(build_skipgram_softmax(10, embedding_dim=4), seed=4)
    x = _batch()
    v = keras.ops.convert_to_numpy(model.get_layer("target_embedding").embeddings)
    u = keras.ops.convert_to_numpy(model.get_layer("context_softmax").kernel).T
    scores = v[x["target"]] @ u.T  # eq. 2: exp(v'_o·v_i) / Σ_w exp(v'_w·v_i)
    log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(6), x["context"]])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(x["context"], model(x["target"]))
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loss)), expected, rtol=1e-5)


def test_initial_tables_are_word2vec_c_s():
    model = build_skipgram(50, embedding_dim=20)
    v, u = _tables(model)
    assert np.all(np.abs(v) <= 0.5 / 20) and v.std() > 0.005
    assert not u.any()


def test_models_survive_saving_and_config_round_trips(tmp_path):
    run_model_saving_test(randomize_weights(build_skipgram(10, 4, 3)), _batch(), tmp_path)
    run_model_saving_test(randomize_weights(build_skipgram_softmax(10, 4)), _batch()["target"], tmp_path)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"vocabulary_size": 0}, "Received: vocabulary_size=0"),
        ({"vocabulary_size": 5, "embedding_dim": 2.5}, "Received: embedding_dim=2.5"),
        ({"vocabulary_size": 5, "num_negative": 0}, "Received: num_negative=0"),
    ],
)
def test_bad_model_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_skipgram(**kwargs)
