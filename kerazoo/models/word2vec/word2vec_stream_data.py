"""Skip-gram batches streamed from text shards on disk, one shard at a time, as tf.data or NumPy.

The counting pass encodes every shard to integers once
(`kerazoo.data.text_shards.EncodedShard`); every epoch then reads those ids,
never the text. The draws are those of a corpus in memory (`word2vec_sampling`,
and their TensorFlow twins in `word2vec_data`), made shard by shard and keyed
by each shard's index. TensorFlow is imported inside functions only.
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


class SkipGramStream:
    """Skip-gram batches streamed from text shards on disk, one shard at a time.

    The corpus-sized arrays of `SkipGramData` never exist here. Each epoch
    reads this worker's shards in order, as the integers the counting pass
    wrote (`EncodedShard`: each token's id among its shard's words, mapped to
    the vocabulary through one small table per shard); each shard is
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
        encoded: list of `EncodedShard` or None. The counting pass's encoding
            of every shard (`count_words(..., cache_dir=...).encoded`); None
            runs a counting pass into `cache_dir`.
        cache_dir: str or None. Where to encode the shards when `encoded` is
            None (None: `default_cache_dir()`).
    """

    def __init__(self, shards, vocabulary, shard_tokens=None, window=5, num_negative=5, sample=1e-3,
                 batch_size=4096, seed=0, steps_multiple=1, worker_index=0, num_workers=1,
                 estimate_words=2_000_000, encoded=None, cache_dir=None):
        from kerazoo.data.text_shards import count_words
        from kerazoo.data.text_shards import default_cache_dir
        from kerazoo.data.text_shards import worker_shards

        check_pair_settings(window, num_negative, batch_size)
        self.all_shards = list(shards)
        if encoded is None:
            encoded = count_words(self.all_shards, cache_dir=cache_dir or default_cache_dir()).encoded
        if len(encoded) != len(self.all_shards):
            raise ValueError(f"`encoded` must hold one `EncodedShard` for each of the {len(self.all_shards)} shards. "
                             f"Received: {len(encoded)} encoded shards")
        self.encoded = list(encoded)
        self._remaps = {}
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
            for unit in range(len(self.all_shards)):
                ids, sentence_ids = self.numpy_shard_ids(unit)
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

    def shard_remap(self, unit):
        """Shard `unit`'s table from its own word ids to vocabulary ids (-1: not in the vocabulary)."""
        if unit not in self._remaps:
            index = self.vocabulary.index
            words, _ = self.encoded[unit].vocabulary()
            self._remaps[unit] = np.array([index.get(word, -1) for word in words], dtype=np.int32)
        return self._remaps[unit]

    def numpy_shard_ids(self, unit):
        """Shard `unit`'s `(ids, sentence_ids)` (its global index), unknown words dropped."""
        local, lengths = self.encoded[unit].ids()
        ids = self.shard_remap(unit)[local]
        sentence_ids = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        known = ids >= 0
        return ids[known], sentence_ids[known]

    def numpy_shard_pairs(self, epoch, index):
        """The shuffled pairs of this worker's shard `index` in `epoch`: `(targets, contexts)`."""
        unit = self.units[index]
        ids, sentence_ids = self.numpy_shard_ids(unit)
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
        """This worker's shards as tensors: their files, the offsets of their data, and their remaps, concatenated."""
        if getattr(self, "_tables", None) is None:
            import tensorflow as tf

            remaps = [self.shard_remap(unit) for unit in self.units]
            starts = np.cumsum([0] + [len(remap) for remap in remaps[:-1]])
            shards = [self.encoded[unit] for unit in self.units]
            with tf.init_scope():
                self._tables = {
                    "keep": tf.convert_to_tensor(self.keep_probability),
                    "remap": tf.constant(np.concatenate(remaps) if remaps else np.zeros(0, np.int32)),
                    "remap_start": tf.constant(starts, tf.int32),
                    "ids_path": tf.constant([shard.ids_path for shard in shards]),
                    "ids_offset": tf.constant([shard.ids_offset // 4 for shard in shards], tf.int32),
                    "lines_path": tf.constant([shard.lines_path for shard in shards]),
                    "lines_offset": tf.constant([shard.lines_offset // 4 for shard in shards], tf.int32),
                }
        return self._tables

    def tf_shard_ids(self, index):
        """The TensorFlow twin of `numpy_shard_ids`, for this worker's shard `index`: read its ids, map them.

        Two file reads of int32 data and one gather: no text is read or tokenised.
        """
        import tensorflow as tf

        tables = self._tf_tables()

        def read(name):
            raw = tf.io.decode_raw(tf.io.read_file(tables[name + "_path"][index]), tf.int32)
            return raw[tables[name + "_offset"][index]:]

        ids = tf.gather(tables["remap"], read("ids") + tables["remap_start"][index])
        lengths = read("lines")
        sentence_ids = tf.repeat(tf.range(tf.size(lengths), dtype=tf.int32), lengths)
        known = ids >= 0
        return tf.boolean_mask(ids, known), tf.boolean_mask(sentence_ids, known)

    def tf_shard_pairs(self, epoch, unit, index):
        """The TensorFlow twin of `numpy_shard_pairs` (`unit` is the shard's global index, `index` this worker's)."""
        import tensorflow as tf

        keep_probability = self._tf_tables()["keep"]
        ids, sentence_ids = self.tf_shard_ids(index)
        seeds = tf_seeds(self.seed, epoch, unit)
        targets, contexts = tf_draw_pairs(ids, sentence_ids, tf.gather(keep_probability, ids), self.window, seeds)
        order = tf.random.experimental.stateless_shuffle(tf.range(tf.size(targets)), seed=seeds[_SHUFFLE])
        return tf.gather(targets, order), tf.gather(contexts, order)

    def tf_shard_dataset(self, initial_epoch=0):
        """One element per (epoch, shard) of this worker: `(targets, contexts)` of that shard, endless."""
        import tensorflow as tf

        units = tf.constant(self.units, tf.int64)
        indices = tf.range(len(self.units), dtype=tf.int32)

        def epoch_shards(epoch):
            return tf.data.Dataset.from_tensor_slices((tf.fill(tf.shape(units), epoch), units, indices))

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
