"""Skip-gram batches of a corpus in memory, as tf.data or NumPy, and the TensorFlow twins of the draws.

The draws themselves (subsampling, dynamic windows, negatives, the shape of an
epoch) are described and written in NumPy in `word2vec_sampling`. Here they
are cut into batches: `SkipGramData` for a corpus held in memory, and the
TensorFlow functions that `word2vec_stream_data.SkipGramStream` shares with it.
TensorFlow is imported inside functions only.
"""

import numpy as np
import keras

from kerazoo.models.word2vec.word2vec_sampling import _KEEP
from kerazoo.models.word2vec.word2vec_sampling import _NEGATIVE
from kerazoo.models.word2vec.word2vec_sampling import _SHUFFLE
from kerazoo.models.word2vec.word2vec_sampling import _WINDOW
from kerazoo.models.word2vec.word2vec_sampling import NegativeSampler
from kerazoo.models.word2vec.word2vec_sampling import check_pair_settings
from kerazoo.models.word2vec.word2vec_sampling import epoch_shape
from kerazoo.models.word2vec.word2vec_sampling import keep_probabilities
from kerazoo.models.word2vec.word2vec_sampling import negative_distribution
from kerazoo.models.word2vec.word2vec_sampling import numpy_draw_pairs
from kerazoo.models.word2vec.word2vec_sampling import window_pairs


def negative_tables_tf(sampler):
    """A `NegativeSampler`'s tables as eager tensors, made once: functions capture them instead
    of embedding constants, which graph optimisation would fold at every trace."""
    if getattr(sampler, "_tf_tables", None) is None:
        import tensorflow as tf

        with tf.init_scope():
            sampler._tf_tables = tuple(
                tf.convert_to_tensor(table)
                for table in (sampler.accept32, sampler.alias, sampler.cdf, sampler.cdf_before)
            )
    return sampler._tf_tables


def sample_negatives_tf(sampler, seed, positives, num_negative):
    """The TensorFlow twin of `NegativeSampler.sample_numpy`; `seed` is a stateless seed pair."""
    import tensorflow as tf

    accept, alias, cdf, cdf_before = negative_tables_tf(sampler)
    size = sampler.size
    shape = [tf.shape(positives)[0], num_negative]
    fold = tf.random.experimental.stateless_fold_in
    column = tf.random.stateless_uniform(shape, seed=seed, minval=0, maxval=size, dtype=tf.int32)
    u = tf.random.stateless_uniform(shape, seed=fold(seed, 1), dtype=tf.float32)
    negatives = tf.where(u < tf.gather(accept, column), column, tf.gather(alias, column))
    hits = tf.where(tf.equal(negatives, positives[:, None]))
    hit = tf.gather(positives, hits[:, 0])
    before, upto = tf.gather(cdf_before, hit), tf.gather(cdf, hit)
    x = tf.random.stateless_uniform(tf.shape(hit), seed=fold(seed, 2), dtype=tf.float64)
    x = x * (before + (1.0 - upto))
    x = tf.where(x < before, x, x + (upto - before))
    redrawn = tf.minimum(tf.searchsorted(cdf, x, side="right", out_type=tf.int32), size - 1)
    return tf.tensor_scatter_nd_update(negatives, hits, redrawn)


def tf_seeds(seed, epoch, unit=0):
    """The stateless seed pairs of one draw, one per stream; the TensorFlow twin of `_key`."""
    import tensorflow as tf

    epoch = tf.cast(epoch, tf.int64)
    unit = tf.cast(unit, tf.int64)
    seeds = [tf.stack([tf.constant(seed, tf.int64), epoch * 8 + k]) for k in range(4)]
    fold = tf.random.experimental.stateless_fold_in
    return [tf.where(tf.equal(unit, 0), s, fold(s, unit)) for s in seeds]


def tf_draw_pairs(ids, sentence_ids, word_keep, window, seeds):
    """The TensorFlow twin of `numpy_draw_pairs`; `seeds` from `tf_seeds`."""
    import tensorflow as tf

    uniform = tf.random.stateless_uniform(tf.shape(ids), seed=seeds[_KEEP], dtype=tf.float64)
    keep = uniform < word_keep
    kept_sentences = tf.boolean_mask(sentence_ids, keep)
    has_pairs = tf.reduce_any(kept_sentences[1:] == kept_sentences[:-1])
    keep = tf.logical_or(keep, tf.logical_not(has_pairs))
    kept = tf.boolean_mask(ids, keep)
    radius = window - tf.random.stateless_uniform(
        tf.shape(kept), seed=seeds[_WINDOW], minval=0, maxval=window, dtype=tf.int32
    )
    return window_pairs(kept, tf.boolean_mask(sentence_ids, keep), radius, window, mask=tf.boolean_mask,
                        concat=_tf_concat)


def _tf_concat(parts):
    import tensorflow as tf

    return tf.concat(parts, axis=0)


def plain_options():
    """tf.data options for these pipelines: fixed buffers, no autotuning and no graph rewrites.

    Autotuning's thread delays the iterator's teardown, and tf.data's graph
    rewrites add a quarter second before the first batch.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.apply_default_optimizations = False
    return options


class SkipGramData:
    """The encoded corpus and the sampling tables, turned into batches each epoch.

    Args:
        ids, sentence_ids: int32 arrays from `WordVocabulary.encode`.
        counts: int array. Vocabulary counts (for subsampling and negatives).
        window: int. The largest distance between a target and its context.
        num_negative: int. Negatives per pair.
        sample: float. Subsampling threshold; 0 is off.
        batch_size: int. Pairs per batch (fewer if the corpus has fewer pairs).
        seed: int. Every random draw derives from it and the epoch number.
        steps_multiple: int. Make the steps per epoch a multiple of this when
            there are that many (Keras's `steps_per_execution` must divide
            them, or an execution would run into the next epoch).

    Example:

    >>> data = SkipGramData.from_sentences(sentences, vocabulary, batch_size=4096)
    >>> dataset = data.dataset(epochs=2, pipeline="tf")
    """

    def __init__(self, ids, sentence_ids, counts, window=5, num_negative=5, sample=1e-3,
                 batch_size=4096, seed=0, steps_multiple=1):
        check_pair_settings(window, num_negative, batch_size)
        self.ids = np.asarray(ids, dtype=np.int32)
        self.sentence_ids = np.asarray(sentence_ids, dtype=np.int32)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.window = int(window)
        self.num_negative = int(num_negative)
        self.sample = sample
        self.seed = int(seed)
        self.keep_probability = keep_probabilities(self.counts, sample)
        self._word_keep_probability = self.keep_probability[self.ids]
        self.sampler = NegativeSampler(negative_distribution(self.counts))
        # One draw fixes the batch size and the steps of every epoch.
        self.shape = epoch_shape(
            [(self.sentence_ids, self._word_keep_probability)], self.window, self.seed, batch_size, steps_multiple
        )
        self.batch_size = self.shape.batch_size
        self.steps_per_epoch = self.shape.steps_per_epoch
        self.chunk_steps = self.shape.chunk_steps

    @classmethod
    def from_sentences(cls, sentences, vocabulary, **kwargs):
        ids, sentence_ids = vocabulary.encode(sentences)
        return cls(ids, sentence_ids, vocabulary.counts, **kwargs)

    @property
    def pairs_per_epoch(self):
        return self.shape.pairs_per_epoch

    # -- NumPy -------------------------------------------------------------

    def numpy_keep(self, epoch):
        """The subsampling draw of an epoch: a bool mask over the corpus words."""
        rng = np.random.default_rng([self.seed, epoch, _KEEP])
        return rng.random(len(self.ids)) < self._word_keep_probability

    def numpy_pairs(self, epoch):
        """An epoch's (target, context) pairs, in corpus order by offset: two int32 arrays."""
        return numpy_draw_pairs(self.ids, self.sentence_ids, self._word_keep_probability, self.window, self.seed, epoch)

    def numpy_epoch(self, epoch):
        """One epoch's shuffled pairs: `(targets, contexts)`, int32 arrays of shape [steps, B]."""
        targets, contexts = self.numpy_pairs(epoch)
        order = np.random.default_rng([self.seed, epoch, _SHUFFLE]).permutation(len(targets))
        take = order[np.arange(self.pairs_per_epoch) % len(order)]
        shape = (self.steps_per_epoch, self.batch_size)
        return targets[take].reshape(shape), contexts[take].reshape(shape)

    def numpy_batch(self, epoch, step, targets, contexts):
        """A batch dict from one row of `numpy_epoch`, its negatives drawn now.

        Drawing negatives batch by batch keeps the arrays small (a whole epoch's
        negatives would be 5 times the pairs, and slow to allocate).
        """
        rng = np.random.default_rng([self.seed, epoch, _NEGATIVE, step])
        negatives = self.sampler.sample_numpy(rng, contexts, self.num_negative)
        return {"target": targets, "context": contexts, "negative": negatives}

    # -- TensorFlow --------------------------------------------------------

    def _tf_corpus(self):
        if getattr(self, "_tf_tensors", None) is None:
            import tensorflow as tf

            with tf.init_scope():
                self._tf_tensors = (
                    tf.convert_to_tensor(self.ids),
                    tf.convert_to_tensor(self.sentence_ids),
                    tf.convert_to_tensor(self._word_keep_probability),
                )
        return self._tf_tensors

    def _tf_seeds(self, epoch):
        return tf_seeds(self.seed, epoch)

    def tf_keep(self, epoch):
        """The TensorFlow twin of `numpy_keep`."""
        import tensorflow as tf

        ids, _, keep_probability = self._tf_corpus()
        uniform = tf.random.stateless_uniform(tf.shape(ids), seed=self._tf_seeds(epoch)[_KEEP], dtype=tf.float64)
        return uniform < keep_probability

    def tf_pairs(self, epoch):
        """The TensorFlow twin of `numpy_pairs`."""
        ids, sentence_ids, keep_probability = self._tf_corpus()
        return tf_draw_pairs(ids, sentence_ids, keep_probability, self.window, self._tf_seeds(epoch))

    def tf_epoch(self, epoch):
        """The TensorFlow twin of `numpy_epoch`, cut into chunks of batches.

        Returns a dict of `[chunks, chunk_steps, B]` targets and contexts, and
        each chunk's seed for its negatives (`tf_chunk` draws them): the first
        batches need not wait for a whole epoch of negatives.
        """
        import tensorflow as tf

        seeds = self._tf_seeds(epoch)
        targets, contexts = self.tf_pairs(epoch)
        order = tf.random.experimental.stateless_shuffle(tf.range(tf.size(targets)), seed=seeds[_SHUFFLE])
        take = tf.gather(order, tf.range(self.pairs_per_epoch) % tf.size(order))
        chunks = self.steps_per_epoch // self.chunk_steps
        shape = [chunks, self.chunk_steps, self.batch_size]
        return {
            "target": tf.reshape(tf.gather(targets, take), shape),
            "context": tf.reshape(tf.gather(contexts, take), shape),
            "seed": tf.stack([tf.fill([chunks], seeds[_NEGATIVE][1]), tf.range(chunks, dtype=tf.int64)], axis=1),
        }

    def tf_chunk(self, chunk):
        """Draws the negatives of one chunk from `tf_epoch`: a dict of [chunk_steps, B(, K)] tensors."""
        import tensorflow as tf

        seed = tf.random.experimental.stateless_fold_in(
            tf.stack([tf.constant(self.seed, tf.int64), chunk["seed"][0]]), chunk["seed"][1]
        )
        contexts = tf.reshape(chunk["context"], [-1])
        negatives = sample_negatives_tf(self.sampler, seed, contexts, self.num_negative)
        return {
            "target": chunk["target"],
            "context": chunk["context"],
            "negative": tf.reshape(negatives, [self.chunk_steps, self.batch_size, self.num_negative]),
        }

    # -- Datasets ----------------------------------------------------------

    def dataset(self, epochs, pipeline="auto", initial_epoch=0):
        """Batches for `epochs` epochs: a `tf.data.Dataset` or a `SkipGramBatches`.

        Args:
            epochs: int. Epochs to serve (`steps_per_epoch` batches each).
            pipeline: str. `"tf"`, `"numpy"`, or `"auto"`: tf.data on the
                TensorFlow backend, NumPy elsewhere.
            initial_epoch: int. The first epoch's number (its random draws).
        """
        from kerazoo.data.pipeline import _use_tf_data

        if not _use_tf_data(pipeline):
            return SkipGramBatches(self, epochs, initial_epoch)
        import tensorflow as tf

        self._tf_corpus()
        negative_tables_tf(self.sampler)
        # The next epoch is drawn in the background while this one trains. Plain graph
        # code: skipping autograph's source conversion makes the traces faster.
        plain = tf.autograph.experimental.do_not_convert
        epochs_dataset = tf.data.Dataset.range(initial_epoch, epochs).map(plain(self.tf_epoch)).prefetch(1)
        chunks = epochs_dataset.flat_map(tf.data.Dataset.from_tensor_slices).map(plain(self.tf_chunk)).prefetch(2)
        batches = chunks.flat_map(tf.data.Dataset.from_tensor_slices).prefetch(16)
        return batches.with_options(plain_options())


class SkipGramBatches(keras.utils.PyDataset):
    """The NumPy path: one epoch's batches per Keras epoch, for any backend."""

    def __init__(self, data, epochs, initial_epoch=0):
        super().__init__()
        self.data = data
        self.epoch = initial_epoch
        self.epochs = epochs
        self._cached_epoch, self._pairs = None, None

    def __len__(self):
        return self.data.steps_per_epoch

    def __getitem__(self, index):
        if self._cached_epoch != self.epoch:
            self._pairs = self.data.numpy_epoch(self.epoch)
            self._cached_epoch = self.epoch
        targets, contexts = self._pairs
        return (self.data.numpy_batch(self.epoch, index, targets[index], contexts[index]),)

    def on_epoch_end(self):
        self.epoch += 1
