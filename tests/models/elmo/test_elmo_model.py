import os

import keras
import numpy as np
import pytest
from keras import ops

from kerazoo.data.characters import encode_characters
from kerazoo.data.characters import encode_sentences
from kerazoo.models.elmo import ELMO_CONFIGS
from kerazoo.models.elmo import ElmoBiLM
from kerazoo.models.elmo import ElmoEmbedder
from kerazoo.models.elmo import build_elmo
from kerazoo.models.elmo import build_elmo_embedder
from tests.test_case import randomize_weights

TINY = dict(character_filters=[(1, 4), (2, 4), (3, 4)], character_embedding_dim=4, projection_dim=6,
            lstm_units=8, num_layers=2, dropout=0.0)
VOCABULARY = 30


def numpy(tensor):
    return ops.convert_to_numpy(tensor)


@pytest.fixture(scope="module")
def bilm():
    model = build_elmo(VOCABULARY, **TINY)
    return randomize_weights(model, seed=3, scale=0.7)


def characters_of(text):
    return encode_characters(text.split())[None]


def test_forward_lm_never_sees_the_future_and_backward_never_sees_the_past(bilm):
    sentence = characters_of("so foul and fair a day I have not seen")
    changed = sentence.copy()
    k = 4
    changed[0, k] = encode_characters(["Birnam"])[0]
    _, before = bilm.representations(sentence)
    _, after = bilm.representations(changed)
    for (f0, b0), (f1, b1) in zip(before, after):
        forward_change = np.abs(numpy(f0) - numpy(f1)).max(-1)[0]
        backward_change = np.abs(numpy(b0) - numpy(b1)).max(-1)[0]
        assert np.all(forward_change[:k] == 0) and np.all(forward_change[k:] > 0)
        assert np.all(backward_change[k + 1 :] == 0) and np.all(backward_change[: k + 1] > 0)


def test_the_loss_is_the_forward_plus_the_backward_nll_of_the_shared_softmax(bilm):
    rng = np.random.default_rng(0)
    x = characters_of("to be or not to be")
    y = {"forward": rng.integers(1, VOCABULARY, (1, 6)), "backward": rng.integers(1, VOCABULARY, (1, 6))}
    y["forward"][0, -1] = 0  # no target here: ignored
    outputs = bilm(x)
    W, b = numpy(bilm.softmax.kernel), numpy(bilm.softmax.bias)
    expected = 0.0
    for direction in ("forward", "backward"):
        logits = numpy(outputs[direction])[0] @ W.T + b
        log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        targets = y[direction][0]
        real = targets != 0
        expected += -log_p[np.arange(6), targets][real].mean()
    loss = bilm.compute_loss(x=x, y=y, y_pred=outputs, training=False)
    np.testing.assert_allclose(float(numpy(loss)), expected, rtol=1e-5)


def test_padding_changes_nothing_for_the_real_tokens(bilm):
    embedder = ElmoEmbedder(bilm)
    alone = embedder.embed(["the watch"])
    batched = embedder.embed(["the watch", "a much longer line of seven words"])
    for name in ("word_emb", "lstm_outputs1", "lstm_outputs2", "elmo"):
        np.testing.assert_allclose(batched[name][0, :2], alone[name][0], atol=1e-6)
        assert not batched[name][0, 2:].any()
    np.testing.assert_allclose(batched["default"][0], alone["elmo"][0].mean(0), atol=1e-6)
    assert batched["sequence_len"].tolist() == [2, 7]


def test_watch_gets_a_context_dependent_elmo_vector_and_a_fixed_word_embedding(bilm):
    # The lectures' example: "watch" as a verb and as a noun.
    embedder = ElmoEmbedder(bilm)
    out = embedder.embed(["I watch the game tonight", "my watch is broken"])
    np.testing.assert_array_equal(out["word_emb"][0, 1], out["word_emb"][1, 1])
    for name in ("lstm_outputs1", "lstm_outputs2", "elmo"):
        difference = np.linalg.norm(out[name][0, 1] - out[name][1, 1])
        assert difference > 0.05 * np.linalg.norm(out[name][0, 1]), name


def test_embedder_layers_are_the_bilm_layers_side_by_side(bilm):
    embedder = build_elmo_embedder(bilm)
    out = embedder(characters_of("fair is foul"))
    wrapped = np.concatenate(
        [np.array([[259, 257, 260] + [0] * 47]), characters_of("fair is foul")[0], np.array([[259, 258, 260] + [0] * 47])]
    )[None]
    x, layers = bilm.representations(wrapped)
    np.testing.assert_allclose(numpy(out["word_emb"]), np.concatenate([numpy(x), numpy(x)], -1)[:, 1:-1], atol=1e-6)
    forward, backward = layers[1]
    np.testing.assert_allclose(
        numpy(out["lstm_outputs2"]), np.concatenate([numpy(forward), numpy(backward)], -1)[:, 1:-1], atol=1e-6
    )
    mixed = sum(numpy(out[name]) for name in embedder.layer_names) / 3
    np.testing.assert_allclose(numpy(out["elmo"]), mixed, atol=1e-5)


def test_bilm_and_embedder_survive_keras_save_and_from_config(bilm, tmp_path):
    x = characters_of("when shall we three meet again")
    embedder = ElmoEmbedder(bilm)
    embedder.scalar_mix.scalar_weights.assign([0.5, -0.5, 1.0])
    for model in (bilm, embedder):
        expected = {k: numpy(v) for k, v in model(x).items()}
        path = os.path.join(tmp_path, f"{model.name}.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        assert type(restored) is type(model)
        for name, value in restored(x).items():
            np.testing.assert_allclose(numpy(value), expected[name], atol=1e-6)
        clone = model.__class__.from_config(model.get_config())
        clone.set_weights(model.get_weights())
        for name, value in clone(x).items():
            np.testing.assert_allclose(numpy(value), expected[name], atol=1e-6)
        assert clone.get_config() == model.get_config()


def test_fit_lowers_the_loss_with_the_sampled_softmax():
    keras.utils.set_random_seed(0)  # the initial weights too, not only the sampler: the run is the same every time
    model = build_elmo(50, **{**TINY, "num_samples": 30}, seed=0)
    # A cyclic text: each word fixes its neighbours, so both directions can learn it.
    ids = np.arange(4, 50)[np.arange(8 * 8) % 46].reshape(8, 8)
    words = encode_characters([f"w{i}" for i in range(50)])
    x, y = words[ids[:, 1:-1]], {"forward": ids[:, 2:], "backward": ids[:, :-2]}
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    history = model.fit(x, y, epochs=25, batch_size=8, verbose=0)
    after = model.evaluate(x, y, verbose=0, return_dict=True)
    assert np.isfinite(history.history["loss"]).all()
    # Evaluation uses the full softmax: the sampled training lowered the true loss.
    assert after["loss"] < before["loss"] - 0.4
    assert after["forward_perplexity"] < before["forward_perplexity"]
    assert after["backward_perplexity"] < before["backward_perplexity"]


@pytest.mark.smoke
def test_outputs_have_the_tf_hub_names_and_shapes(bilm):
    characters, _ = encode_sentences(["a b c", "d"])
    out = ElmoEmbedder(bilm)(characters)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "word_emb": (2, 3, 12), "lstm_outputs1": (2, 3, 12), "lstm_outputs2": (2, 3, 12),
        "elmo": (2, 3, 12), "default": (2, 12),
    }


@pytest.mark.slow
def test_the_original_preset_has_allennlps_93_6_million_parameters_besides_the_softmax():
    kwargs = {**ELMO_CONFIGS["elmo-original"]["model_kwargs"], "num_samples": 0}
    model = build_elmo(2, **kwargs)
    assert model.count_params() - model.softmax.count_params() == 93_600_848


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="projection_dim=0"):
        ElmoBiLM(10, projection_dim=0)
    with pytest.raises(ValueError, match="dropout=1.5"):
        ElmoBiLM(10, dropout=1.5)
    with pytest.raises(ValueError, match="bilm"):
        ElmoEmbedder(keras.Sequential([keras.layers.Dense(2)]))
