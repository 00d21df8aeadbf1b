"""The hogwild step: word2vec.c's pair-by-pair SGD, compiled by Numba, threads sharing the tables."""

import numpy as np
import pytest

import keras

from kerazoo.models.word2vec import word2vec_hogwild
from kerazoo.models.word2vec.skipgram_model import SkipGram
from kerazoo.models.word2vec.word2vec_data import SkipGramData
from kerazoo.models.word2vec.word2vec_hogwild import HogwildEpochs
from kerazoo.models.word2vec.word2vec_hogwild import kernel
from kerazoo.training import resolve_word2vec_config
from kerazoo.training import train_word2vec
from tests.models.word2vec.test_word2vec_training import GROUPS
from tests.models.word2vec.test_word2vec_training import planted_corpus

pytest.importorskip("numba")

HOGWILD = dict(min_count=1, sample=0, window=3, embedding_dim=16, verbose=0, seed=1, step="hogwild")


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def one_target(vectors, contexts, ids, radius, num_negative, alpha, accept, alias):
    """Runs the kernel over target 0 of `ids` (one sentence) on copies of the tables; returns them and the result."""
    vectors, contexts = vectors.copy(), contexts.copy()
    result = np.zeros(3, np.float64)
    kernel()(vectors, contexts, np.asarray(ids, np.int32), np.zeros(len(ids), np.int32),
             np.asarray(radius, np.int32), 0, 1, np.asarray(accept, np.float32), np.asarray(alias, np.int32),
             num_negative, alpha, 0.0, np.uint64(7), 1, result)
    return vectors, contexts, result


def test_a_pair_with_repeated_negatives_follows_its_equations_in_numpy():
    """Target 0 and context 1; the alias table makes every negative word 2, so the step is fixed:
    each output in turn (context, then each negative) scores against v_0, takes g = alpha (label - sigma(s))
    and moves by g v_0; v_0 moves by the sum of g times each output as it was before its own move."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(4, 5)).astype(np.float32)
    contexts = rng.normal(size=(4, 5)).astype(np.float32)
    alpha, num_negative = 0.1, 3
    got_v, got_c, result = one_target(vectors, contexts, [0, 1], [1, 1], num_negative, alpha,
                                      accept=np.zeros(4), alias=np.full(4, 2))

    v, c = vectors.astype(np.float64), contexts.astype(np.float64)
    change, loss = np.zeros(5), 0.0
    for out, label in [(1, 1.0)] + [(2, 0.0)] * num_negative:
        score = v[0] @ c[out]
        g = alpha * (label - sigmoid(score))
        change += g * c[out]
        c[out] = c[out] + g * v[0]
        loss += softplus(-score) if label else softplus(score)
    v[0] += change
    np.testing.assert_allclose(got_v, v, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(got_c, c, rtol=2e-5, atol=1e-6)
    assert result[word2vec_hogwild.PAIRS] == 1 and result[word2vec_hogwild.LOSS_PAIRS] == 1
    np.testing.assert_allclose(result[word2vec_hogwild.LOSS_SUM], loss, rtol=1e-5)
    # Only words 0, 1 and 2 moved.
    np.testing.assert_array_equal(got_v[1:], vectors[1:])
    np.testing.assert_array_equal(got_c[[0, 3]], contexts[[0, 3]])


def test_a_negative_equal_to_the_context_is_skipped():
    rng = np.random.default_rng(1)
    vectors, contexts = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)
    # Every negative is word 1, the context itself: only the positive term trains.
    with_skips = one_target(vectors, contexts, [0, 1], [1, 1], 4, 0.1, np.zeros(3), np.ones(3))
    positive_only = one_target(vectors, contexts, [0, 1], [1, 1], 0, 0.1, np.zeros(3), np.ones(3))
    for got, expected in zip(with_skips[:2], positive_only[:2]):
        np.testing.assert_array_equal(got, expected)


def test_one_pair_is_the_keras_models_sgd_step():
    """With one negative that differs from the context, the pair step is exactly one SGD step of rate alpha
    on the Keras model's loss for that pair (a batch of one)."""
    rng = np.random.default_rng(2)
    model = SkipGram(vocabulary_size=4, embedding_dim=6, num_negative=1)
    vectors = rng.normal(size=(4, 6)).astype(np.float32)
    contexts = rng.normal(size=(4, 6)).astype(np.float32)
    model.get_layer("target_embedding").embeddings.assign(vectors)
    model.get_layer("context_embedding").embeddings.assign(contexts)
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.train_on_batch({"target": np.array([0], np.int32), "context": np.array([1], np.int32),
                          "negative": np.array([[3]], np.int32)})
    got_v, got_c, _ = one_target(vectors, contexts, [0, 1], [1, 1], 1, 0.05, np.zeros(4), np.full(4, 3))
    np.testing.assert_allclose(got_v, keras.ops.convert_to_numpy(model.get_layer("target_embedding").embeddings),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_c, keras.ops.convert_to_numpy(model.get_layer("context_embedding").embeddings),
                               rtol=1e-5, atol=1e-6)


def corpus_ids(seed=0, words=3000, vocabulary=40):
    rng = np.random.default_rng(seed)
    ids = rng.zipf(1.3, words) % vocabulary
    sentences = np.repeat(np.arange(words // 10), 10)
    counts = np.bincount(ids, minlength=vocabulary)
    return ids.astype(np.int32), sentences.astype(np.int32), counts


@pytest.mark.parametrize("workers", [1, 3])
def test_an_epoch_trains_the_pairs_of_the_keras_steps_draw(workers):
    """The same subsampling and window draws as the Keras step: as many pairs, for any number of threads."""
    ids, sentences, counts = corpus_ids()
    settings = dict(window=4, num_negative=2, sample=1e-2, seed=3)
    keras_data = SkipGramData(ids, sentences, counts, batch_size=64, **settings)
    epochs = HogwildEpochs.in_memory(ids, sentences, counts, workers=workers, **settings)
    vectors, contexts = np.zeros((40, 4), np.float32), np.zeros((40, 4), np.float32)
    for epoch in (0, 1):
        trained = epochs.train_epoch(vectors, contexts, epoch, 0.025, 0.02)["pairs"]
        assert trained == len(keras_data.numpy_pairs(epoch)[0])
        assert 0 < trained < len(ids) * 8  # subsampling dropped words (8 = 2 * window is the most per word)


def test_a_streamed_epoch_trains_the_pairs_of_the_keras_streams_draws(tmp_path):
    """Shard by shard, each shard's draws keyed by its unit, as the Keras stream draws them."""
    from kerazoo.data.text_shards import count_words
    from kerazoo.models.word2vec.word2vec_stream_data import SkipGramStream
    from kerazoo.models.word2vec.word2vec_vocabulary import WordVocabulary

    shards = [planted_corpus(tmp_path / f"part-{k}.txt", sentences=200, seed=k) for k in range(3)]
    counts = count_words(shards, cache_dir=str(tmp_path / "cache"))
    vocabulary = WordVocabulary.from_counter(counts.counter, 1, None)
    stream = SkipGramStream(shards, vocabulary, counts.shard_tokens, window=3, num_negative=2, sample=1e-2,
                            batch_size=64, seed=4, encoded=counts.encoded)
    blocks = [(unit, lambda unit=unit: stream.numpy_shard_ids(unit)) for unit in stream.units]
    epochs = HogwildEpochs(blocks, vocabulary.counts, window=3, num_negative=2, sample=1e-2, seed=4, workers=2)
    tables = np.zeros((vocabulary.size, 4), np.float32), np.zeros((vocabulary.size, 4), np.float32)
    for epoch in (0, 1):
        expected = sum(len(stream.numpy_shard_pairs(epoch, index)[0]) for index in range(len(stream.units)))
        assert epochs.train_epoch(*tables, epoch, 0.025, 0.02)["pairs"] == expected


def test_one_thread_is_deterministic_and_the_seed_matters():
    ids, sentences, counts = corpus_ids()

    def train(seed):
        epochs = HogwildEpochs.in_memory(ids, sentences, counts, window=3, num_negative=3, seed=seed, workers=1)
        rng = np.random.default_rng(0)
        vectors, contexts = rng.normal(size=(40, 8)).astype(np.float32) * 0.1, np.zeros((40, 8), np.float32)
        result = epochs.train_epoch(vectors, contexts, 0, 0.05, 0.01)
        return vectors, contexts, result["loss"]

    first, again, other = train(5), train(5), train(6)
    for a, b in zip(first[:2], again[:2]):
        np.testing.assert_array_equal(a, b)
    assert first[2] == again[2]
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("workers", [1, 2])
def test_hogwild_learns_the_planted_structure(tmp_path, workers):
    corpus = planted_corpus(tmp_path / "planted.txt")
    config = resolve_word2vec_config(corpus=corpus, epochs=4, workers=workers, **HOGWILD)
    _, vocabulary, vectors, metrics = train_word2vec(config, str(tmp_path / "run"))
    assert metrics["step"] == "hogwild" and metrics["workers"] == workers and metrics["steps"] == 4
    assert metrics["streamed"]  # a corpus on disk: its shards' token ids, one shard at a time
    assert vocabulary.size == 20 and metrics["history"][-1]["loss"] < metrics["history"][0]["loss"]
    for group in GROUPS:
        for word in group:
            nearest = [w for w, _ in vectors.most_similar(word, topn=4)]
            assert set(nearest) == set(group) - {word}, (word, nearest)


def test_an_in_memory_corpus_trains_with_the_presets_step():
    sentences = [line.split() for line in ["the king is dead", "long live the king", "the queen is dead"] * 40]
    config = resolve_word2vec_config(config="gensim", min_count=1, epochs=2, verbose=0, workers=1)
    assert config["step"] == "hogwild"
    _, vocabulary, vectors, metrics = train_word2vec(config, sentences=sentences)
    assert metrics["sentences"] == 120 and not metrics.get("streamed")
    assert metrics["pairs_per_epoch"] > 0 and np.isfinite(metrics["history"][-1]["loss"])
    assert vectors.vectors.shape == (vocabulary.size, 100)


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"step": "keras", "workers": 2}, r"`workers` sets the hogwild step's threads.*Received: workers=2 with "
                                          r"step='keras'"),
        ({"batch_size": 512}, r"\['batch_size'\] apply to step='keras'.*Received: batch_size=512 with step='hogwild'"),
        ({"pipeline": "tf", "steps_per_execution": 8}, r"\['pipeline', 'steps_per_execution'\] apply to step='keras'"),
        ({"workers": 0}, r"`workers` must be an integer >= 1 or None. Received: workers=0"),
        ({"step": "fused"}, r"`step` must be 'keras' or 'hogwild'. Received: step='fused'"),
    ],
)
def test_bad_step_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        resolve_word2vec_config(config="fast", **settings)


def test_the_step_needs_numba_and_says_so(monkeypatch):
    monkeypatch.setattr(word2vec_hogwild, "available", lambda: False)
    with pytest.raises(ValueError, match=r"step='hogwild' needs Numba \(`pip install numba`"):
        resolve_word2vec_config(config="gensim")
    assert resolve_word2vec_config(config="gensim", step="keras")["step"] == "keras"


def test_a_run_stopped_by_its_budget_goes_on_to_the_same_vectors(tmp_path, capsys):
    """One thread: the run in pieces (a budget that stops it after every epoch) ends where the whole run ends."""
    import json
    import os

    from kerazoo.cli import main
    from kerazoo.training import load_word2vec_run

    corpus = planted_corpus(tmp_path / "planted.txt", sentences=300)

    def train(run, *extra):
        return main(["train", "word2vec", "--corpus", corpus, "--output", run, "--epochs", "3", "--min-count", "1",
                     "--sample", "0", "--window", "3", "--embedding-dim", "8", "--workers", "1", "--verbose", "0",
                     *extra])

    whole, pieces = str(tmp_path / "whole"), str(tmp_path / "pieces")
    assert train(whole) == 0
    for completed in (1, 2, 3):
        assert train(pieces, "--max-minutes", "1e-6") == 0
        with open(os.path.join(pieces, "metrics.json"), encoding="utf-8") as f:
            metrics = json.load(f)
        assert metrics["epochs_completed"] == completed and metrics["steps"] == completed
    capsys.readouterr()
    with open(os.path.join(whole, "metrics.json"), encoding="utf-8") as f:
        straight = json.load(f)
    np.testing.assert_allclose([row["loss"] for row in metrics["history"]],
                               [row["loss"] for row in straight["history"]], rtol=1e-6)
    np.testing.assert_allclose(load_word2vec_run(pieces)[1].vectors, load_word2vec_run(whole)[1].vectors, rtol=1e-6)
