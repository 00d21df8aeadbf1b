import keras
import numpy as np
import pytest
from keras import ops

from kerazoo.data.punctuation import PUNCTUATION
from kerazoo.data.punctuation import PunctuationSpeeches
from kerazoo.data.punctuation import tag_scores
from kerazoo.data.punctuation import tag_text
from kerazoo.data.characters import encode_sentences
from kerazoo.layers.scalar_mix import ScalarMix
from kerazoo.models.elmo import ElmoEmbedder
from kerazoo.models.elmo import build_elmo
from kerazoo.models.elmo.elmo_tagger import build_elmo_tagger
from kerazoo.models.elmo.elmo_tagger import mixing_weights
from kerazoo.models.elmo.elmo_tagger import tag_sample_weights
from kerazoo.models.elmo.elmo_tagger_data import elmo_layer_features
from kerazoo.models.elmo.elmo_tagger_data import gather_features
from kerazoo.models.elmo.elmo_tagger_data import layer_statistics
from kerazoo.models.elmo.elmo_tagger_data import length_batches
from kerazoo.models.elmo.elmo_tagger_data import pad_tags
from kerazoo.models.elmo.elmo_tagger_data import tagging_sequences
from kerazoo.models.elmo.elmo_tagger_data import word_ids
from kerazoo.models.elmo.elmo_tagger_data import word_index
from tests.test_case import randomize_weights

TINY = dict(character_filters=[(1, 4), (2, 4), (3, 4)], character_embedding_dim=4, projection_dim=6,
            lstm_units=8, num_layers=2, dropout=0.0)


def speeches_of(*texts):
    columns = PunctuationSpeeches([], [], [], [], [])
    for text in texts:
        words, punctuation, capitals = tag_text(text)
        columns.inputs.append(" ".join(w.lower() for w in words))
        columns.targets.append(text)
        columns.punctuation.append(punctuation)
        columns.capitals.append(capitals)
        columns.plays.append("hamlet")
    return columns


def test_a_known_speech_gives_exactly_its_word_tags_cut_or_split_to_max_words():
    speeches = speeches_of("Who's there? Nay, answer me. Stand, and unfold yourself!")
    cut = tagging_sequences(speeches, max_words=4)
    assert cut.words == [["who's", "there", "nay", "answer"]]
    assert [PUNCTUATION[p] for p in cut.punctuation[0]] == ["none", "question", "comma", "none"]
    assert cut.capitals[0].tolist() == [True, False, True, False]
    split = tagging_sequences(speeches, max_words=4, split_long=True)
    assert split.words == [["who's", "there", "nay", "answer"], ["me", "stand", "and", "unfold"], ["yourself"]]
    assert [[PUNCTUATION[p] for p in tags] for tags in split.punctuation[1:]] == [
        ["period", "comma", "none", "none"], ["exclamation"]]
    assert [c.tolist() for c in split.capitals[1:]] == [[False, True, False, False], [False]]
    index = word_index(["me", "nay", "me"], min_count=1)
    assert index == {"me": 2, "nay": 3}
    np.testing.assert_array_equal(word_ids(split.words[1:], index, 5), [[2, 1, 1, 1, 0], [1, 0, 0, 0, 0]])
    np.testing.assert_array_equal(pad_tags(split.punctuation[1:], 5), [[2, 1, 0, 0, 0], [4, 0, 0, 0, 0]])


def test_tag_scores_match_a_hand_computation():
    true = np.array([0, 1, 1, 2, 3, 0, 1, 6])
    predicted = np.array([1, 1, 0, 2, 2, 0, 1, 6])
    true_caps = np.array([1, 0, 0, 1, 1, 0, 0, 0], bool)
    predicted_caps = np.array([1, 1, 0, 1, 0, 0, 0, 0], bool)
    scores = tag_scores(true, predicted, true_caps, predicted_caps)
    # comma: predicted at 0, 1, 6 (right at 1, 6); true at 1, 2, 6 -> P = R = 2/3.
    # period: predicted at 3, 4 (right at 3); true at 3 -> P = 1/2, R = 1, F1 = 2/3.
    # question: true at 4, never predicted -> 0. semicolon: 1. exclamation, colon: absent -> 0.
    expected = {"comma": 2 / 3, "period": 2 / 3, "question": 0.0, "exclamation": 0.0, "colon": 0.0, "semicolon": 1.0}
    for mark, value in expected.items():
        assert scores["f1"][mark] == pytest.approx(value)
    assert scores["macro_f1"] == pytest.approx(sum(expected.values()) / 6)
    # every mark pooled: right 4 (1, 6, 3, 7), predicted 6, true 6.
    assert scores["micro_f1"] == pytest.approx(2 * 4 / 12)
    # capitals: true at 0, 3, 4; predicted at 0, 1, 3 -> 2 right, F1 = 4/6.
    assert scores["capital_f1"] == pytest.approx(2 / 3)
    assert scores["words"] == 8
    with pytest.raises(ValueError, match=r"Received sizes \[8, 7, 8, 8\]"):
        tag_scores(true, predicted[:7], true_caps, predicted_caps)


def test_length_batches_cover_each_sequence_once_with_widths_in_steps_of_16():
    lengths = np.array([3, 40, 17, 16, 1, 64, 2])
    batches = length_batches(lengths, 3, np.random.default_rng(0))
    assert sorted(np.concatenate([b for b, _ in batches]).tolist()) == list(range(7))
    for batch, width in batches:
        assert width % 16 == 0 and lengths[batch].max() <= width < lengths[batch].max() + 16


@pytest.fixture(scope="module")
def embedder():
    bilm = randomize_weights(build_elmo(30, **TINY), seed=3, scale=0.7)
    return ElmoEmbedder(bilm)


def test_cached_layers_are_the_embedders_layers_and_an_equal_mix_gives_its_elmo(embedder):
    sequences = [["so", "foul", "and", "fair"], ["a", "day"], ["i", "have", "not", "seen", "it"]]
    features, spans = elmo_layer_features(embedder, sequences, batch_size=2)
    assert features.dtype == np.float16 and features.shape == (11, 3, 12)
    np.testing.assert_array_equal(spans, [[0, 4], [4, 6], [6, 11]])
    outputs = embedder.embed([" ".join(words) for words in sequences])
    batch = gather_features(features, spans, [2, 0], 6)
    for j, name in enumerate(embedder.layer_names):
        np.testing.assert_allclose(batch[0, :5, j], outputs[name][2, :5], atol=2e-3, rtol=2e-3)
        np.testing.assert_allclose(batch[1, :4, j], outputs[name][0, :4], atol=2e-3, rtol=2e-3)
    assert not batch[1, 4:].any()
    mixed = ops.convert_to_numpy(ScalarMix()([batch[:, :, j] for j in range(3)]))
    np.testing.assert_allclose(mixed[0, :5], outputs["elmo"][2, :5], atol=2e-3, rtol=2e-3)


def fit_one_step(model, inputs, seed=0):
    rng = np.random.default_rng(seed)
    shape = inputs["word_ids"].shape
    targets = {"punctuation": rng.integers(0, 7, shape), "capital": rng.integers(0, 2, shape)}
    weights = tag_sample_weights(inputs["word_ids"])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.fit(inputs, targets, sample_weight={"punctuation": weights, "capital": weights}, epochs=1, batch_size=4,
              verbose=0)


def test_frozen_word_vectors_and_a_frozen_bilm_stay_unchanged_while_the_mix_and_tagger_learn(embedder):
    keras.utils.set_random_seed(0)
    vectors = np.random.default_rng(1).normal(size=(9, 5)).astype("float32")
    tagger = build_elmo_tagger("elmo+word2vec", word_vectors=vectors, elmo_dim=12, lstm_units=4)
    # The biLM in the same graph, frozen as the docs say: only the mix and the tagger may move.
    embedder.bilm.trainable = False
    characters = keras.Input((None, embedder.bilm.max_characters), dtype="int32")
    ids = keras.Input((None,), dtype="int32")
    outputs = embedder(characters)
    layers = ops.stack([outputs[name] for name in embedder.layer_names], axis=2)
    model = keras.Model([characters, ids], tagger({"word_ids": ids, "elmo": layers}))
    sentences = ["so foul and fair", "a day", "i have not seen it"]
    chars, lengths = encode_sentences(sentences, embedder.bilm.max_characters)
    word_id_rows = np.zeros(chars.shape[:2], "int32")
    for row, length in enumerate(lengths):
        word_id_rows[row, :length] = np.arange(2, 2 + length)
    bilm_before = [w.numpy().copy() for w in embedder.bilm.weights]
    vectors_before = tagger.get_layer("word_vectors").embeddings.numpy().copy()
    lstm_before = [w.numpy().copy() for w in tagger.get_layer("bilstm").weights]
    mix_before = mixing_weights(tagger)
    rng = np.random.default_rng(0)
    targets = {"punctuation": rng.integers(0, 7, chars.shape[:2]), "capital": rng.integers(0, 2, chars.shape[:2])}
    weights = tag_sample_weights(word_id_rows)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.fit([chars, word_id_rows], targets, sample_weight={"punctuation": weights, "capital": weights},
              epochs=1, batch_size=3, verbose=0)
    for before, after in zip(bilm_before, embedder.bilm.weights):
        np.testing.assert_array_equal(before, after.numpy())
    np.testing.assert_array_equal(vectors_before, tagger.get_layer("word_vectors").embeddings.numpy())
    assert any(not np.array_equal(b, a.numpy()) for b, a in zip(lstm_before, tagger.get_layer("bilstm").weights))
    mix_after = mixing_weights(tagger)
    assert mix_after["weights"] != mix_before["weights"] and mix_after["gamma"] != mix_before["gamma"]
    assert sum(mix_after["weights"]) == pytest.approx(1.0, abs=1e-6)


def test_scratch_embeddings_learn_and_bad_arguments_are_named():
    keras.utils.set_random_seed(0)
    tagger = build_elmo_tagger("scratch", vocabulary_size=10, embedding_dim=4, lstm_units=4)
    before = tagger.get_layer("word_embedding").embeddings.numpy().copy()
    fit_one_step(tagger, {"word_ids": np.array([[2, 3, 4, 0], [5, 6, 0, 0]] * 2, "int32")})
    after = tagger.get_layer("word_embedding").embeddings.numpy()
    assert not np.array_equal(before[2:7], after[2:7])
    np.testing.assert_array_equal(before[7:], after[7:])  # ids never seen get no gradient
    with pytest.raises(ValueError, match="input_kind='glove'"):
        build_elmo_tagger("glove")
    with pytest.raises(ValueError, match="word_vectors=None"):
        build_elmo_tagger("word2vec")
    with pytest.raises(ValueError, match="vocabulary_size=None"):
        build_elmo_tagger("scratch")


def test_standardised_layers_are_the_layers_minus_the_training_mean_over_the_floored_deviation():
    rng = np.random.default_rng(0)
    features = (rng.normal(size=(40, 3, 4)) * np.array([7.0, 1.0, 2.0])[None, :, None] + 5.0).astype(np.float16)
    features[:, 1, 2] = 3.0  # a unit that never moves
    mean, variance = layer_statistics(features, rows=np.arange(0, 40, 2))
    values = features[::2].astype(np.float64)
    np.testing.assert_allclose(mean, values.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(variance[1, 2], 1e-2)
    np.testing.assert_allclose(np.delete(variance.ravel(), 6), np.delete(values.var(axis=0).ravel(), 6), rtol=1e-5)
    tagger = build_elmo_tagger("elmo", elmo_dim=4, elmo_mean=mean, elmo_variance=variance, lstm_units=2)
    batch = features[None, :5].astype("float32")
    standardised = ops.convert_to_numpy(tagger.get_layer("elmo_standardization")(batch))
    np.testing.assert_allclose(standardised, (batch - mean) / np.sqrt(variance), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="`elmo_mean` and `elmo_variance` must be given together"):
        build_elmo_tagger("elmo", elmo_dim=4, elmo_mean=mean)
