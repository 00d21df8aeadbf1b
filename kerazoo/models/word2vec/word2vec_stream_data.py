"""Skip-gram batches streamed from text shards on disk, one shard at a time, as tf.data or NumPy.

The draws are those of a corpus in memory (`word2vec_sampling`, and their
TensorFlow twins in `word2vec_data`), made shard by shard and keyed by each
shard's index. TensorFlow is imported inside functions only.
"""

import numpy as np

from kerazoo.models.word2vec.word2vec_data import negative_tables_tf
from kerazoo.models.word2vec.word2vec_data import plain_options
from kerazoo.models.word2vec.word2vec_data import sample_negatives_tf
from kerazoo.models.word2vec.word2vec_data import tf_draw_pairs
from kerazoo.models.word2vec.word2vec_data import tf_seeds
from kerazoo.models.word2vec.word2vec_sampling import _NEGATIVE
from kerazoo.models.word2vec.word2vec_sampling import _SHUFFLE
from kerazoo.models.word2vec.word2vec_sampling import NegativeSampler
from kerazoo.models.word2vec.word2vec_sampling import _key
from kerazoo.models.word2vec.word2vec_sampling import check_pair_settings
from kerazoo.models.word2vec.word2vec_sampling import epoch_shape
from kerazoo.models.word2vec.word2vec_sampling import keep_probabilities
from kerazoo.models.word2vec.word2vec_sampling import negative_distribution
from kerazoo.models.word2vec.word2vec_sampling import numpy_draw_pairs


def _byte_table():
    """Byte -> ASCII code point: the tokeniser's lowercasing and character class in one gather."""
    import tensorflow as tf

    table = np.full(256, ord(" "), dtype=np.int32)
    letters = np.arange(ord("a"), ord("z") + 1)
    table[letters] = letters
    table[letters - 32] = letters
    table[ord("'")], table[ord("\n")] = ord("'"), ord("\n")
    return tf.constant(table)


class SkipGramStream:
    """Skip-gram batches streamed from text shards on disk, one shard at a time.

    The corpus-sized arrays of `SkipGramData` never exist here. Each epoch
    reads this worker's shards in order; each shard is tokenised, encoded,
    subsampled and windowed on its own (the same draws as `SkipGramData` on
    that shard's words, keyed by the shard's index), its pairs are shuffled
    within the shard, and they are cut into batches. The pairs a shard leaves
    over (fewer than a batch) go on into the next shard's first batch, so no
    pair is dropped; a batch may straddle two shards or two epochs.

    What is held at once: the vocabulary and its tables, the shard being
    read, and the prefetch buffers (the next shard's pairs and 16 batches).

    The steps of an epoch come from one draw on the first shards of the whole
    corpus (`epoch_shape`, the function `SkipGramData` calls, reading up to
    `estimate_words` words), scaled to the counted words of this worker's shards: pairs per
    vocabulary word times words. With one shard that holds the whole corpus
    this is exactly `SkipGramData`'s count; otherwise it is an estimate, and
    an epoch of `steps_per_epoch` batches ends within a fraction of a percent
    of a pass over the shards (the stream runs on into the next pass).

    Args:
        shards: list of str. Every shard of the corpus, sorted (see
            `kerazoo.data.text_shards.resolve_shards`).
        vocabulary: `WordVocabulary` from the counting pass.
        shard_tokens: list of int or None. Tokens per shard from the counting
            pass; None counts them as equal.
        window, num_negative, sample, batch_size, seed, steps_multiple: as
            `SkipGramData`.
        worker_index, num_workers: this worker reads shards i, i + N, ...
        estimate_words: int. Vocabulary words the first draw reads at least.
    """

    def __init__(self, shards, vocabulary, shard_tokens=None, window=5, num_negative=5, sample=1e-3,
                 batch_size=4096, seed=0, steps_multiple=1, worker_index=0, num_workers=1,
                 estimate_words=2_000_000):
        from kerazoo.data.text_shards import worker_shards

        check_pair_settings(window, num_negative, batch_size)
        self.all_shards = list(shards)
        self.worker_index, self.num_workers = worker_index, num_workers
        # The global index of each of this worker's shards keys its random draws.
        self.units = list(range(len(self.all_shards)))[worker_index::num_workers]
        self.shards = worker_shards(self.all_shards, worker_index, num_workers)
        self.vocabulary = vocabulary
        self.counts = np.asarray(vocabulary.counts, dtype=np.int64)
        self.window, self.num_negative, self.sample = int(window), int(num_negative), sample
        self.seed = int(seed)
        self.keep_probability = keep_probabilities(self.counts, sample)
        self.sampler = NegativeSampler(negative_distribution(self.counts))
        tokens = list(shard_tokens) if shard_tokens is not None else [1] * len(self.all_shards)
        share = sum(tokens[u] for u in self.units) / max(1, sum(tokens))
        # Vocabulary words this worker reads per pass (all of them with one worker).
        self.worker_words = int(round(self.counts.sum() * share))

        def first_shards():
            for path in self.all_shards:
                ids, sentence_ids = self.numpy_shard_ids(path)
                yield sentence_ids, self.keep_probability[ids]

        # Every worker computes the same shape (from the same first shards), so collectives agree.
        self.shape = epoch_shape(
            first_shards(), self.window, self.seed, batch_size, steps_multiple,
            epoch_words=self.counts.sum() / num_workers, estimate_words=estimate_words,
        )
        self.batch_size = self.shape.batch_size
        self.steps_per_epoch = self.shape.steps_per_epoch
        self.chunk_steps = self.shape.chunk_steps

    @property
    def pairs_per_epoch(self):
        return self.shape.pairs_per_epoch

    @property
    def words_per_step(self):
        """Vocabulary words of this worker's pass per training step, for the progress bar."""
        return self.worker_words / self.steps_per_epoch

    # -- NumPy -------------------------------------------------------------

    def numpy_shard_ids(self, path):
        """A shard's `(ids, sentence_ids)`, unknown words dropped (one sentence per line)."""
        from kerazoo.data.text_shards import read_shard
        from kerazoo.data.text_shards import shard_sentences

        return self.vocabulary.encode(shard_sentences(read_shard(path)))

    def numpy_shard_pairs(self, epoch, index):
        """The shuffled pairs of this worker's shard `index` in `epoch`: `(targets, contexts)`."""
        unit = self.units[index]
        ids, sentence_ids = self.numpy_shard_ids(self.shards[index])
        targets, contexts = numpy_draw_pairs(
            ids, sentence_ids, self.keep_probability[ids], self.window, self.seed, epoch, unit
        )
        order = np.random.default_rng(_key(self.seed, epoch, _SHUFFLE, unit)).permutation(len(targets))
        return targets[order], contexts[order]

    def numpy_batches(self, initial_epoch=0):
        """An endless generator of batch dicts, shard after shard, epoch after epoch."""
        batch = self.batch_size
        step = initial_epoch * self.steps_per_epoch
        left_t = left_c = np.zeros(0, dtype=np.int32)
        epoch = initial_epoch
        while True:
            for index in range(len(self.shards)):
                targets, contexts = self.numpy_shard_pairs(epoch, index)
                targets, contexts = np.concatenate([left_t, targets]), np.concatenate([left_c, contexts])
                full = len(targets) // batch * batch
                for start in range(0, full, batch):
                    rng = np.random.default_rng([self.seed, _NEGATIVE, step, 1 << 20])
                    t, c = targets[start:start + batch], contexts[start:start + batch]
                    yield ({"target": t, "context": c, "negative": self.sampler.sample_numpy(rng, c, self.num_negative)},)
                    step += 1
                left_t, left_c = targets[full:], contexts[full:]
            epoch += 1

    # -- TensorFlow --------------------------------------------------------

    def _tf_tables(self):
        if getattr(self, "_tables", None) is None:
            import tensorflow as tf

            with tf.init_scope():
                words = tf.constant(self.vocabulary.words, dtype=tf.string)
                table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(words, tf.range(len(self.vocabulary.words), dtype=tf.int32)),
                    default_value=-1,
                )
                self._tables = (table, tf.convert_to_tensor(self.keep_probability))
        return self._tables

    def tf_shard_ids(self, path):
        """The TensorFlow twin of `numpy_shard_ids`: read, lowercase, `[a-z']+` tokens, ids.

        One byte table does the lowercasing and the tokeniser's character class
        at once (A-Z to a-z; a-z, ' and newlines kept; every other byte, UTF-8
        continuation bytes included, becomes a space), then the lines and the
        spaces split. That equals Python's `findall("[a-z']+", text.lower())`
        except for the two non-ASCII capitals whose lowercase is ASCII (U+0130
        and U+212A), and is faster than a regular expression on every epoch.
        """
        import tensorflow as tf

        table, _ = self._tf_tables()
        text = tf.io.read_file(path)
        clean = tf.strings.unicode_encode(tf.gather(_byte_table(), tf.cast(tf.io.decode_raw(text, tf.uint8), tf.int32)),
                                          "UTF-8")
        words = tf.strings.split(tf.strings.split(clean, "\n"))
        ids = tf.ragged.map_flat_values(table.lookup, words)
        ids = tf.ragged.boolean_mask(ids, ids >= 0)
        return ids.flat_values, tf.cast(ids.value_rowids(), tf.int32)

    def tf_shard_pairs(self, epoch, unit, path):
        """The TensorFlow twin of `numpy_shard_pairs` (`unit` is the shard's global index)."""
        import tensorflow as tf

        _, keep_probability = self._tf_tables()
        ids, sentence_ids = self.tf_shard_ids(path)
        seeds = tf_seeds(self.seed, epoch, unit)
        targets, contexts = tf_draw_pairs(ids, sentence_ids, tf.gather(keep_probability, ids), self.window, seeds)
        order = tf.random.experimental.stateless_shuffle(tf.range(tf.size(targets)), seed=seeds[_SHUFFLE])
        return tf.gather(targets, order), tf.gather(contexts, order)

    def tf_shard_dataset(self, initial_epoch=0):
        """One element per (epoch, shard) of this worker: `(targets, contexts)` of that shard, endless."""
        import tensorflow as tf

        units = tf.constant(self.units, tf.int64)
        paths = tf.constant(self.shards)

        def epoch_shards(epoch):
            return tf.data.Dataset.from_tensor_slices((tf.fill(tf.shape(units), epoch), units, paths))

        plain = tf.autograph.experimental.do_not_convert
        return (
            tf.data.Dataset.range(initial_epoch, np.iinfo(np.int64).max)
            .flat_map(epoch_shards)
            .map(plain(self.tf_shard_pairs))
        )

    def tf_rebatch(self, shard_pairs):
        """Cuts a dataset of shards' pairs into chunks of `[chunk_steps, B]` pairs, carrying each
        shard's surplus on into the next.

        The state between shards is only the surplus: fewer than `chunk_steps * batch_size` pairs.
        """
        import tensorflow as tf

        shape = [-1, self.chunk_steps, self.batch_size]
        size = self.chunk_steps * self.batch_size

        def cut(left, pairs):
            targets = tf.concat([left[0], pairs[0]], axis=0)
            contexts = tf.concat([left[1], pairs[1]], axis=0)
            full = tf.size(targets) // size * size
            blocks = (tf.reshape(targets[:full], shape), tf.reshape(contexts[:full], shape))
            return (targets[full:], contexts[full:]), blocks

        empty = tf.zeros([0], tf.int32)
        plain = tf.autograph.experimental.do_not_convert
        return shard_pairs.scan((empty, empty), plain(cut)).flat_map(
            lambda targets, contexts: tf.data.Dataset.from_tensor_slices((targets, contexts))
        )

    def tf_negatives(self, chunk, targets, contexts):
        """Negatives for one chunk of batches (its index keys the draw): a dict of `[chunk_steps, B(, K)]`."""
        import tensorflow as tf

        seed = tf.random.experimental.stateless_fold_in(
            tf.stack([tf.constant(self.seed, tf.int64), tf.constant(_NEGATIVE + 8 * (1 << 20), tf.int64)]), chunk
        )
        negatives = sample_negatives_tf(self.sampler, seed, tf.reshape(contexts, [-1]), self.num_negative)
        shape = [self.chunk_steps, self.batch_size, self.num_negative]
        return {"target": targets, "context": contexts, "negative": tf.reshape(negatives, shape)}

    def dataset(self, epochs=None, pipeline="auto", initial_epoch=0):
        """Endless batches from `initial_epoch` on: a `tf.data.Dataset` or a NumPy generator.

        Keras takes `steps_per_epoch` batches per epoch from one iterator.
        """
        from kerazoo.data.pipeline import _use_tf_data

        if not _use_tf_data(pipeline):
            return self.numpy_batches(initial_epoch)
        import tensorflow as tf

        self._tf_tables()
        negative_tables_tf(self.sampler)
        plain = tf.autograph.experimental.do_not_convert
        # The next shard is read and windowed in the background while this one trains.
        chunks = self.tf_rebatch(self.tf_shard_dataset(initial_epoch).prefetch(1))
        start = initial_epoch * self.steps_per_epoch // self.chunk_steps
        chunks = chunks.enumerate(start).map(lambda chunk, pair: plain(self.tf_negatives)(chunk, *pair))
        batches = chunks.prefetch(2).flat_map(tf.data.Dataset.from_tensor_slices)
        options = plain_options()
        # Each worker reads its own shards (`worker_shards`); tf.distribute must not shard again.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return batches.prefetch(16).with_options(options)
