"""Streaming skip-gram pairs from text shards: the same draws as in memory, one shard at a time."""

import collections
import os

import numpy as np
import pytest

from kerazoo.data import text_shards
from kerazoo.data.text_shards import count_words
from kerazoo.models.word2vec.word2vec_corpus import load_sentences
from kerazoo.models.word2vec.word2vec_data import SkipGramData
from kerazoo.models.word2vec.word2vec_sampling import _SHUFFLE
from kerazoo.models.word2vec.word2vec_stream_data import SkipGramStream
from kerazoo.models.word2vec.word2vec_vocabulary import WordVocabulary

WORDS = ["the", "king", "queen", "sword", "night", "love", "death", "crown", "ghost", "rose", "Lord,", "o'er"]


def write_corpus(folder, shards=3, lines=150, seed=0):
    """`shards` files of Zipf-ish lines; returns their paths and the whole text."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths, texts = [], []
    for k in range(shards):
        text = "\n".join(
            " ".join(WORDS[j % len(WORDS)] for j in rng.zipf(1.4, size=rng.integers(1, 12))) for _ in range(lines)
        ) + "\n"
        path = folder / f"part-{k:03d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
        texts.append(text)
    return paths, "".join(texts)


def test_the_counting_pass_gives_the_in_memory_vocabulary(tmp_path):
    paths, text = write_corpus(tmp_path / "shards")
    whole = tmp_path / "whole.txt"
    whole.write_text(text, encoding="utf-8")
    counts = count_words(paths)
    sentences = load_sentences(str(whole))
    for min_count in (1, 3):
        streamed = WordVocabulary.from_counter(counts.counter, min_count)
        in_memory = WordVocabulary.from_sentences(sentences, min_count)
        assert streamed.words == in_memory.words and streamed.counts.tolist() == in_memory.counts.tolist()
    assert counts.tokens == sum(map(len, sentences)) and counts.sentences == len(sentences)
    assert sum(counts.shard_tokens) == counts.tokens and len(counts.shard_tokens) == 3


def _stream_and_memory(tmp_path, **kwargs):
    paths, text = write_corpus(tmp_path / "one", shards=1, lines=400)
    vocabulary = WordVocabulary.from_counter(count_words(paths).counter, 1)
    settings = dict(window=3, sample=1e-2, batch_size=64, seed=4, **kwargs)
    stream = SkipGramStream(paths, vocabulary, **settings)
    memory = SkipGramData.from_sentences(load_sentences(paths[0]), vocabulary, **settings)
    return paths, stream, memory


@pytest.mark.parametrize("steps_multiple", [1, 4, 1000])
def test_the_same_corpus_in_memory_and_streamed_has_one_epoch_shape(tmp_path, steps_multiple):
    # 1000 is more steps than an epoch has: the chunk is then the whole epoch in both (the stream once took 1).
    paths, stream, memory = _stream_and_memory(tmp_path, steps_multiple=steps_multiple)
    assert stream.shape == memory.shape
    assert (stream.batch_size, stream.steps_per_epoch, stream.chunk_steps) == (
        memory.batch_size, memory.steps_per_epoch, memory.chunk_steps)
    assert memory.chunk_steps == min(steps_multiple, memory.steps_per_epoch)
    assert memory.steps_per_epoch % memory.chunk_steps == 0


def test_a_stream_whose_epoch_is_one_chunk_serves_whole_batches(tmp_path):
    paths, stream, memory = _stream_and_memory(tmp_path, steps_multiple=1000)
    assert stream.chunk_steps == stream.steps_per_epoch > 1
    batches = list(stream.dataset(pipeline="tf").take(2 * stream.steps_per_epoch + 1))
    assert len(batches) == 2 * stream.steps_per_epoch + 1
    for batch in batches:
        assert batch["target"].shape == (stream.batch_size,) and batch["negative"].shape == (stream.batch_size, 5)
        assert not (batch["negative"].numpy() == batch["context"].numpy()[:, None]).any()


@pytest.mark.parametrize("pipeline", ["numpy", "tf"])
def test_streamed_pairs_equal_the_in_memory_pairs_with_the_same_seed(tmp_path, pipeline):
    paths, stream, memory = _stream_and_memory(tmp_path)
    assert (stream.steps_per_epoch, stream.batch_size) == (memory.steps_per_epoch, memory.batch_size)
    for epoch in (0, 3):
        if pipeline == "numpy":
            targets, contexts = memory.numpy_pairs(epoch)
            order = np.random.default_rng([memory.seed, epoch, _SHUFFLE]).permutation(len(targets))
            expected = targets[order], contexts[order]
            streamed = stream.numpy_shard_pairs(epoch, 0)
        else:
            import tensorflow as tf

            targets, contexts = memory.tf_pairs(epoch)
            order = tf.random.experimental.stateless_shuffle(
                tf.range(tf.size(targets)), seed=memory._tf_seeds(epoch)[_SHUFFLE]
            )
            expected = tf.gather(targets, order).numpy(), tf.gather(contexts, order).numpy()
            streamed = [x.numpy() for x in stream.tf_shard_pairs(tf.constant(epoch, tf.int64), 0, 0)]
        assert len(expected[0]) > 500
        np.testing.assert_array_equal(streamed[0], expected[0])
        np.testing.assert_array_equal(streamed[1], expected[1])


def test_both_stream_twins_read_a_shard_alike(tmp_path):
    paths, _ = write_corpus(tmp_path / "shards", shards=2)
    vocabulary = WordVocabulary.from_counter(count_words(paths).counter, 2)
    stream = SkipGramStream(paths, vocabulary, window=3, batch_size=64)
    for k in range(len(paths)):
        ids, sentence_ids = stream.numpy_shard_ids(k)
        tf_ids, tf_sentence_ids = (x.numpy() for x in stream.tf_shard_ids(k))
        np.testing.assert_array_equal(tf_ids, ids)
        np.testing.assert_array_equal(tf_sentence_ids, sentence_ids)


@pytest.mark.parametrize("min_count", [1, 3])
def test_streamed_ids_equal_the_in_memory_encoding_of_the_same_text(tmp_path, min_count):
    # Empty lines, lines of unknown words only, capitals and punctuation: what tokenising must get right.
    text = "The King, the QUEEN!\n\n  rose rose o'er\n12 34\nthe king\nqueen rose the\n"
    paths, corpus = write_corpus(tmp_path / "shards", shards=1, lines=200)
    with open(paths[0], "a", encoding="utf-8") as f:
        f.write(text)
    vocabulary = WordVocabulary.from_counter(count_words(paths).counter, min_count)
    stream = SkipGramStream(paths, vocabulary, window=3, batch_size=64, cache_dir=str(tmp_path / "cache"))
    expected = vocabulary.encode(load_sentences(paths[0]))
    for streamed in (stream.numpy_shard_ids(0), [x.numpy() for x in stream.tf_shard_ids(0)]):
        np.testing.assert_array_equal(streamed[0], expected[0])
        np.testing.assert_array_equal(streamed[1], expected[1])
    # The epochs read the ids the counting pass wrote: no text.
    assert stream.encoded[0].ids_path.startswith(str(tmp_path / "cache"))


@pytest.mark.parametrize("pipeline", ["numpy", "tf"])
def test_a_streamed_epoch_has_the_statistics_of_the_corpus_in_memory(tmp_path, pipeline):
    # Across shards the draws are keyed per shard, so the pairs are not those of the
    # concatenated corpus in memory; their number and their mix are, within sampling noise.
    paths, text = write_corpus(tmp_path / "shards", shards=4, lines=300)
    whole = tmp_path / "whole.txt"
    whole.write_text(text, encoding="utf-8")
    vocabulary = WordVocabulary.from_counter(count_words(paths).counter, 1)
    settings = dict(window=4, sample=1e-2, batch_size=128, seed=2)
    stream = SkipGramStream(paths, vocabulary, **settings)
    memory = SkipGramData.from_sentences(load_sentences(str(whole)), vocabulary, **settings)
    if pipeline == "numpy":
        streamed = np.concatenate([stream.numpy_shard_pairs(1, k)[0] for k in range(4)])
        in_memory = memory.numpy_pairs(1)[0]
    else:
        import tensorflow as tf

        streamed = np.concatenate(
            [stream.tf_shard_pairs(tf.constant(1, tf.int64), k, k)[0].numpy() for k in range(len(paths))]
        )
        in_memory = memory.tf_pairs(1)[0].numpy()
    assert abs(len(streamed) - len(in_memory)) < 4 * np.sqrt(len(in_memory))
    a = np.bincount(streamed, minlength=vocabulary.size) / len(streamed)
    b = np.bincount(in_memory, minlength=vocabulary.size) / len(in_memory)
    assert np.abs(a - b).max() < 0.02
    assert abs(stream.pairs_per_epoch - memory.pairs_per_epoch) <= 0.05 * memory.pairs_per_epoch


def test_the_numpy_stream_reads_one_shard_of_ids_at_a_time_and_no_text(tmp_path, monkeypatch):
    paths, _ = write_corpus(tmp_path / "shards", shards=3, lines=200)
    vocabulary = WordVocabulary.from_counter(count_words(paths).counter, 1)
    stream = SkipGramStream(paths, vocabulary, window=3, batch_size=32, sample=0, estimate_words=1)
    reads = []
    real = text_shards.EncodedShard.ids
    monkeypatch.setattr(text_shards.EncodedShard, "ids", lambda shard: reads.append(shard.source) or real(shard))
    monkeypatch.setattr(text_shards, "read_shard", lambda *a: pytest.fail("an epoch read text"))
    batches = stream.numpy_batches()
    next(batches)
    assert reads == [os.path.realpath(paths[0])]  # the first batch needs the first shard only
    shard_batches = len(stream.numpy_shard_pairs(0, 0)[0]) // 32
    reads.clear()
    for _ in range(shard_batches + 1):
        next(batches)
    assert reads[:1] == [os.path.realpath(paths[1])] and len(reads) <= 2


def test_the_tf_stream_holds_one_shard_and_a_surplus_under_a_chunk(tmp_path):
    import tensorflow as tf

    paths, _ = write_corpus(tmp_path / "shards", shards=3, lines=200)
    vocabulary = WordVocabulary.from_counter(count_words(paths).counter, 1)
    stream = SkipGramStream(paths, vocabulary, window=3, batch_size=32, sample=0, steps_multiple=4)
    # Its elements are shards: one per (epoch, shard), each that shard's own pairs.
    shards = list(stream.tf_shard_dataset().take(6))
    for k, (targets, contexts) in enumerate(shards):
        ids, _ = stream.numpy_shard_ids(k % 3)
        assert targets.shape == contexts.shape and targets.shape[0] <= 2 * 3 * len(ids)
        assert set(targets.numpy().tolist()) <= set(ids.tolist())
    # Rebatching keeps only the surplus between shards: fewer pairs than a chunk.
    sizes = [int(t.shape[0]) for t, _ in shards]
    pieces = tf.data.Dataset.from_generator(
        lambda: iter([(t, c) for t, c in shards]),
        output_signature=(tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)),
    )
    emitted = [t.shape for t, _ in stream.tf_rebatch(pieces)]
    assert all(shape == (4, 32) for shape in emitted)
    chunk = 4 * 32
    assert 0 <= sum(sizes) - len(emitted) * chunk < chunk
