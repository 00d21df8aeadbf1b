"""Skip-gram batches of a corpus in memory: the draws word2vec.c and gensim make, on NumPy and tf.data."""

import numpy as np
import pytest

from kerazoo.models.word2vec.word2vec_data import SkipGramBatches
from kerazoo.models.word2vec.word2vec_data import SkipGramData
from kerazoo.models.word2vec.word2vec_data import sample_negatives_tf
from kerazoo.models.word2vec.word2vec_sampling import NegativeSampler
from kerazoo.models.word2vec.word2vec_sampling import epoch_shape
from kerazoo.models.word2vec.word2vec_sampling import first_draw_pairs
from kerazoo.models.word2vec.word2vec_sampling import keep_probabilities
from kerazoo.models.word2vec.word2vec_sampling import negative_distribution

PIPELINES = ["numpy", "tf"]


def _as_numpy(value):
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def keep_mask(data, epoch, pipeline):
    return _as_numpy(data.numpy_keep(epoch) if pipeline == "numpy" else data.tf_keep(epoch))


def pairs(data, epoch, pipeline):
    result = data.numpy_pairs(epoch) if pipeline == "numpy" else data.tf_pairs(epoch)
    return tuple(_as_numpy(x) for x in result)


def test_keep_probability_is_word2vec_c_formula():
    counts = np.array([1000, 100, 10, 1])
    threshold = 1e-2 * counts.sum()
    expected = np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)
    np.testing.assert_allclose(keep_probabilities(counts, 1e-2), expected)
    assert keep_probabilities(counts, 1e-2)[0] == pytest.approx(0.1165, abs=1e-4)
    np.testing.assert_array_equal(keep_probabilities(counts, 0), 1.0)
    with pytest.raises(ValueError, match="Received: sample=-1"):
        keep_probabilities(counts, -1)


def test_keep_probability_equals_gensims():
    gensim = pytest.importorskip("gensim")
    rng = np.random.default_rng(1)
    sentences = [[f"w{j}" for j in rng.zipf(1.3, size=10) % 30] for _ in range(400)]
    model = gensim.models.Word2Vec(sentences, min_count=1, sample=1e-3, vector_size=4, epochs=1, workers=1)
    counts = [model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key]
    gensim_keep = [model.wv.get_vecattr(w, "sample_int") / 2**32 for w in model.wv.index_to_key]
    np.testing.assert_allclose(keep_probabilities(counts, 1e-3), gensim_keep, atol=1e-9)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_subsampling_keeps_each_word_with_the_formula_probability(pipeline):
    counts = np.array([4000, 1000, 200, 50])
    ids = np.repeat(np.arange(4), counts).astype(np.int32)
    np.random.default_rng(0).shuffle(ids)
    data = SkipGramData(ids, np.arange(len(ids)) // 10, counts, sample=1e-2, seed=3)
    epochs = 20
    kept = sum(np.bincount(ids[keep_mask(data, e, pipeline)], minlength=4) for e in range(epochs))
    trials = counts * epochs
    p = keep_probabilities(counts, 1e-2)
    observed = kept / trials
    # A fixed seed and a 4-sigma band: a wrong formula misses by far more.
    np.testing.assert_array_less(np.abs(observed - p), 4 * np.sqrt(p * (1 - p) / trials) + 1e-12)
    assert p[0] < 0.2 and p[3] == 1.0


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_dynamic_window_uses_offset_d_with_probability_window_minus_d_plus_1_over_window(pipeline):
    n, window = 3000, 5
    # Every position is its own word, so a pair tells its offset; one sentence, no subsampling.
    data = SkipGramData(np.arange(n), np.zeros(n), np.ones(n), window=window, sample=0, seed=5)
    offsets = np.concatenate([np.abs(np.subtract(*pairs(data, e, pipeline))) for e in range(4)])
    counts = np.bincount(offsets, minlength=window + 2)
    assert counts[0] == 0 and counts[window + 1] == 0
    for d in range(1, window + 1):
        p = (window - d + 1) / window
        trials = 4 * 2 * (n - d)  # epochs, both directions, positions with a neighbour at d
        assert abs(counts[d] / trials - p) < 4 * np.sqrt(p * (1 - p) / trials) + 1e-12, d


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_pairs_never_cross_a_sentence(pipeline):
    ids = np.arange(20)
    sentence_ids = np.repeat([0, 1, 2, 3], 5)
    data = SkipGramData(ids, sentence_ids, np.ones(20), window=5, sample=0, seed=0)
    targets, contexts = pairs(data, 0, pipeline)
    assert len(targets) > 0
    np.testing.assert_array_equal(sentence_ids[targets], sentence_ids[contexts])


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_negatives_follow_unigram_to_the_075_and_never_hit_the_positive(pipeline):
    counts = np.array([5000, 300, 100, 50, 30, 10, 5, 5])
    p = counts**0.75 / np.sum(counts**0.75)
    sampler = NegativeSampler(negative_distribution(counts))
    # Word 0 holds 79% of the mass, so most of its draws are redrawn.
    for positive in (0, 3):
        positives = np.full(40000, positive, dtype=np.int32)
        if pipeline == "numpy":
            negatives = sampler.sample_numpy(np.random.default_rng(7), positives, 5)
        else:
            import tensorflow as tf

            negatives = sample_negatives_tf(sampler, tf.constant([7, positive], tf.int64), tf.constant(positives), 5).numpy()
        assert negatives.shape == (40000, 5) and negatives.dtype == np.int32
        assert not (negatives == positive).any()
        observed = np.bincount(negatives.ravel(), minlength=len(counts)) / negatives.size
        expected = np.where(np.arange(len(counts)) == positive, 0.0, p / (1 - p[positive]))
        sigma = np.sqrt(expected * (1 - expected) / negatives.size)
        np.testing.assert_array_less(np.abs(observed - expected), 4 * sigma + 1e-12)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_epoch_batches_are_real_pairs_with_negatives_apart_from_the_context(pipeline):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 30, 2000).astype(np.int32)
    sentence_ids = np.arange(2000) // 12
    counts = np.bincount(ids, minlength=30)
    data = SkipGramData(ids, sentence_ids, counts, window=3, num_negative=4, batch_size=256, sample=1e-2, seed=1)
    assert data.batch_size == 256 and data.steps_per_epoch >= 2
    allowed = {
        (ids[i], ids[j])
        for i in range(2000)
        for j in range(max(0, i - 3), min(2000, i + 4))
        if j != i and sentence_ids[i] == sentence_ids[j]
    }
    dataset = data.dataset(epochs=2, pipeline=pipeline)
    if pipeline == "numpy":
        assert isinstance(dataset, SkipGramBatches)
        batches = []
        for _ in range(2):
            batches += [dataset[i][0] for i in range(len(dataset))]
            dataset.on_epoch_end()
    else:
        batches = [{k: v.numpy() for k, v in b.items()} for b in dataset]
    assert len(batches) == 2 * data.steps_per_epoch
    for batch in batches:
        assert batch["target"].shape == (256,) and batch["negative"].shape == (256, 4)
        assert set(zip(batch["target"].tolist(), batch["context"].tolist())) <= allowed
        assert not (batch["negative"] == batch["context"][:, None]).any()
    # Epochs draw anew: the second epoch's pairs are not the first's.
    first = np.concatenate([b["context"] for b in batches[: data.steps_per_epoch]])
    second = np.concatenate([b["context"] for b in batches[data.steps_per_epoch :]])
    assert not np.array_equal(first, second)


def test_the_epoch_shape_is_the_first_draw_cut_into_a_multiple_of_steps_per_execution():
    sentence_ids = np.arange(5000) // 10
    word_keep = np.full(5000, 0.7)
    _, expected = first_draw_pairs(sentence_ids, word_keep, 3, seed=2)
    blocks = [(sentence_ids, word_keep)]
    shape = epoch_shape(blocks, 3, 2, batch_size=100, steps_multiple=8)
    assert shape.batch_size == 100 and shape.chunk_steps == 8
    assert shape.steps_per_epoch == 8 * round(expected / 100 / 8)
    # Fewer steps than one execution: the epoch is one chunk, of the steps the draw gives.
    short = epoch_shape(blocks, 3, 2, batch_size=100, steps_multiple=10_000)
    assert short.steps_per_epoch == round(expected / 100) == short.chunk_steps
    # The same words in two blocks, read until `estimate_words`, give the same pairs per word.
    halves = [(sentence_ids[:2500], word_keep[:2500]), (sentence_ids[2500:], word_keep[2500:])]
    assert epoch_shape(halves, 3, 2, batch_size=100, epoch_words=5000, estimate_words=2500).steps_per_epoch == (
        pytest.approx(shape.steps_per_epoch, rel=0.1))


def test_batch_size_shrinks_to_a_small_corpus():
    data = SkipGramData(np.arange(10), np.zeros(10), np.ones(10), window=2, sample=0, batch_size=4096)
    assert data.steps_per_epoch == 1 and data.batch_size < 40


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"window": 0}, "Received: window=0"),
        ({"batch_size": -1}, "Received: batch_size=-1"),
        ({"sentence_ids": np.arange(10)}, "no skip-gram pairs"),
    ],
)
def test_bad_pipeline_input_is_a_clear_error(kwargs, message):
    args = {"ids": np.arange(10) % 3, "sentence_ids": np.zeros(10), "counts": [4, 3, 3]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        SkipGramData(**args)
    with pytest.raises(ValueError, match="at least 2 words"):
        NegativeSampler([1.0])
