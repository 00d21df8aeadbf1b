"""Skip-gram training batches for word2vec, as tf.data or NumPy, with no per-word Python loop.

Each epoch draws its own pairs from the encoded corpus, the way word2vec.c and
gensim do, but for all words at once with array operations:

1. Subsampling of frequent words. A word of count f among T vocabulary words
   is kept with probability

       keep(f) = min(1, (sqrt(f / (s T)) + 1) · s T / f),      s = `sample`

   This is the variant word2vec.c and gensim implement. The paper (Mikolov et
   al. 2013b, eq. 5) states the discard probability 1 - sqrt(s T / f); the code
   keeps each word a little more often. Dropped words are removed from their
   sentence before the windows are formed, as in word2vec.c.
2. A dynamic window: every kept word draws b uniformly from {0, ..., window-1}
   and pairs with the words at most `window - b` positions away in the same
   sentence (word2vec.c's `b = next_random % window`). Near words are so
   paired more often than far ones: offset d is used with probability
   (window - d + 1) / window.
3. The pairs are shuffled, and cut into `steps_per_epoch` batches of
   `batch_size` pairs. The batch count is fixed for the run (from a first
   draw), so every epoch has the same number of steps: an epoch that draws a
   few more pairs drops the surplus, one that draws fewer repeats a few
   random pairs (about 0.1% either way on the complete plays).
4. `num_negative` negatives per pair from the unigram distribution raised to
   0.75, never equal to the pair's context word. Negatives are drawn with
   Walker's alias method; a negative that hits the context is redrawn from the
   distribution with that word removed (exactly what rejection would give, in
   one vectorised pass). word2vec.c and gensim skip such a negative instead,
   and TensorFlow's word2vec tutorial draws from a log-uniform distribution
   and does not exclude the positive at all.

A batch is a dict `{"target": [B], "context": [B], "negative": [B, K]}` of
int32 ids, the input of `kerazoo.models.word2vec.SkipGram`.
"""

import numpy as np
import keras

# Random-number streams of one epoch: each operation draws from its own.
_KEEP, _WINDOW, _SHUFFLE, _NEGATIVE = range(4)


def keep_probabilities(counts, sample=1e-3):
    """word2vec.c's probability of keeping each word when subsampling.

    Args:
        counts: int array. The corpus count of each vocabulary word.
        sample: float. The threshold s; 0 turns subsampling off.

    Returns:
        float64 array of the same length, in (0, 1].
    """
    if not sample >= 0:
        raise ValueError(f"`sample` must be >= 0 (0 is off). Received: sample={sample}")
    counts = np.asarray(counts, dtype=np.float64)
    if sample == 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)


def negative_distribution(counts, power=0.75):
    """The noise distribution of negative sampling: counts ** power, normalised."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def alias_table(probabilities):
    """Walker's alias table (Vose's construction) for O(1) sampling.

    A draw picks a column i uniformly, then keeps i with probability
    `accept[i]` and takes `alias[i]` otherwise. Building it walks the
    vocabulary once, before training.

    Returns:
        `(accept, alias)`: float64 and int32 arrays of the vocabulary's length.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    size = len(probabilities)
    scaled = probabilities * size / probabilities.sum()
    accept = np.ones(size)
    alias = np.arange(size, dtype=np.int32)
    small = [i for i in range(size) if scaled[i] < 1.0]
    large = [i for i in range(size) if scaled[i] >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        accept[low] = scaled[low]
        alias[low] = high
        scaled[high] -= 1.0 - scaled[low]
        (small if scaled[high] < 1.0 else large).append(high)
    # What is left has mass 1 up to rounding: those columns always keep themselves.
    return accept, alias


class NegativeSampler:
    """Draws negatives from a distribution, never equal to a given positive.

    Args:
        probabilities: float array. The noise distribution (e.g.
            `negative_distribution(counts)`); at least two entries.

    Example:

    >>> sampler = NegativeSampler(negative_distribution([50, 20, 5, 5]))
    >>> sampler.sample_numpy(np.random.default_rng(0), np.array([0, 1]), 3).shape
    (2, 3)
    """

    def __init__(self, probabilities):
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if probabilities.ndim != 1 or len(probabilities) < 2:
            raise ValueError(
                "Negative sampling needs a vocabulary of at least 2 words, so that a negative "
                f"can differ from the positive. Received: {len(probabilities.reshape(-1))} word(s)"
            )
        self.probabilities = probabilities / probabilities.sum()
        self.accept, self.alias = alias_table(self.probabilities)
        # Columns are drawn as exact integers; the float32 accept test is exact to 2**-24.
        self.accept32 = self.accept.astype(np.float32)
        cdf = np.cumsum(self.probabilities)
        self.cdf = cdf / cdf[-1]
        self.cdf_before = np.concatenate([[0.0], self.cdf[:-1]])

    @property
    def size(self):
        return len(self.probabilities)

    def sample_numpy(self, rng, positives, num_negative):
        """`[len(positives), num_negative]` int32 negatives, none equal to its row's positive."""
        positives = np.asarray(positives, dtype=np.int32)
        shape = (len(positives), num_negative)
        column = rng.integers(0, self.size, size=shape, dtype=np.int32)
        keep = rng.random(shape, dtype=np.float32) < self.accept32[column]
        negatives = np.where(keep, column, self.alias[column])
        rows, cols = np.nonzero(negatives == positives[:, None])
        # Redraw the hits from the distribution with the positive's mass removed: the
        # mass left is the cdf below the positive plus the cdf above it, and a point
        # past the positive's own interval is shifted over it.
        hit = positives[rows]
        before, upto = self.cdf_before[hit], self.cdf[hit]
        x = rng.random(len(rows)) * (before + (1.0 - upto))
        x = np.where(x < before, x, x + (upto - before))
        redrawn = np.searchsorted(self.cdf, x, side="right")
        negatives[rows, cols] = np.minimum(redrawn, self.size - 1)
        return negatives.astype(np.int32)

    def tf_tables(self):
        """The tables as eager tensors, made once: functions capture them instead of
        embedding constants, which graph optimisation would fold at every trace."""
        if getattr(self, "_tf_tables", None) is None:
            import tensorflow as tf

            with tf.init_scope():
                self._tf_tables = tuple(
                    tf.convert_to_tensor(table)
                    for table in (self.accept32, self.alias, self.cdf, self.cdf_before)
                )
        return self._tf_tables

    def sample_tf(self, seed, positives, num_negative):
        """The TensorFlow twin of `sample_numpy`; `seed` is a stateless seed pair."""
        import tensorflow as tf

        accept, alias, cdf, cdf_before = self.tf_tables()
        shape = [tf.shape(positives)[0], num_negative]
        fold = tf.random.experimental.stateless_fold_in
        column = tf.random.stateless_uniform(shape, seed=seed, minval=0, maxval=self.size, dtype=tf.int32)
        u = tf.random.stateless_uniform(shape, seed=fold(seed, 1), dtype=tf.float32)
        negatives = tf.where(u < tf.gather(accept, column), column, tf.gather(alias, column))
        hits = tf.where(tf.equal(negatives, positives[:, None]))
        hit = tf.gather(positives, hits[:, 0])
        before, upto = tf.gather(cdf_before, hit), tf.gather(cdf, hit)
        x = tf.random.stateless_uniform(tf.shape(hit), seed=fold(seed, 2), dtype=tf.float64)
        x = x * (before + (1.0 - upto))
        x = tf.where(x < before, x, x + (upto - before))
        redrawn = tf.minimum(tf.searchsorted(cdf, x, side="right", out_type=tf.int32), self.size - 1)
        return tf.tensor_scatter_nd_update(negatives, hits, redrawn)


def window_pairs(ids, sentence_ids, radius, window, xp=np):
    """All (target, context) pairs of the reduced windows, as two flat arrays.

    Word i pairs with word j when they share a sentence and 0 < |i - j| <=
    radius[i]. The loop runs over the `window` offsets, each one vectorised
    over the whole corpus.
    """
    mask = (lambda x, m: x[m]) if xp is np else _tf_boolean_mask
    targets, contexts = [], []
    for offset in range(1, window + 1):
        same = sentence_ids[offset:] == sentence_ids[:-offset]
        # Word i looks right to i + offset; word i + offset looks left to i.
        right = same & (radius[:-offset] >= offset)
        left = same & (radius[offset:] >= offset)
        targets += [mask(ids[:-offset], right), mask(ids[offset:], left)]
        contexts += [mask(ids[offset:], right), mask(ids[:-offset], left)]
    concat = np.concatenate if xp is np else _tf_concat
    return concat(targets), concat(contexts)


def _tf_boolean_mask(x, m):
    import tensorflow as tf

    return tf.boolean_mask(x, m)


def _tf_concat(parts):
    import tensorflow as tf

    return tf.concat(parts, axis=0)


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
        for name, value in (("window", window), ("num_negative", num_negative), ("batch_size", batch_size)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")
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
        all_pairs = self._count_pairs(np.ones(len(self.ids), dtype=bool), np.full(len(self.ids), window))
        if all_pairs == 0:
            raise ValueError(
                "The corpus gives no skip-gram pairs: no sentence holds two vocabulary words. "
                "Use a larger corpus or a smaller `min_count`."
            )
        # One draw fixes the batch size and the steps of every epoch.
        rng = np.random.default_rng([self.seed, 1 << 30])
        keep = rng.random(len(self.ids)) < self._word_keep_probability
        radius = self.window - rng.integers(0, self.window, size=int(keep.sum()))
        expected = self._count_pairs(keep, radius) or all_pairs
        self.batch_size = int(min(batch_size, expected))
        steps = expected / self.batch_size
        if steps >= steps_multiple:
            self.steps_per_epoch = steps_multiple * int(round(steps / steps_multiple))
            self.chunk_steps = steps_multiple
        else:
            self.steps_per_epoch = self.chunk_steps = max(1, int(round(steps)))

    @classmethod
    def from_sentences(cls, sentences, vocabulary, **kwargs):
        ids, sentence_ids = vocabulary.encode(sentences)
        return cls(ids, sentence_ids, vocabulary.counts, **kwargs)

    @property
    def pairs_per_epoch(self):
        return self.steps_per_epoch * self.batch_size

    def _count_pairs(self, keep, radius):
        s = self.sentence_ids[keep]
        return sum(
            int(((s[o:] == s[:-o]) & (radius[:-o] >= o)).sum() + ((s[o:] == s[:-o]) & (radius[o:] >= o)).sum())
            for o in range(1, self.window + 1)
        )

    # -- NumPy -------------------------------------------------------------

    def numpy_keep(self, epoch):
        """The subsampling draw of an epoch: a bool mask over the corpus words."""
        rng = np.random.default_rng([self.seed, epoch, _KEEP])
        return rng.random(len(self.ids)) < self._word_keep_probability

    def numpy_pairs(self, epoch):
        """An epoch's (target, context) pairs, in corpus order by offset: two int32 arrays."""
        keep = self.numpy_keep(epoch)
        # Only a tiny corpus can lose every pair to subsampling; it then trains unsubsampled.
        # Two kept neighbours in one sentence always make a pair (every radius is >= 1).
        kept_sentences = self.sentence_ids[keep]
        if not (kept_sentences[1:] == kept_sentences[:-1]).any():
            keep[:] = True
        ids, sentences = self.ids[keep], self.sentence_ids[keep]
        rng = np.random.default_rng([self.seed, epoch, _WINDOW])
        radius = self.window - rng.integers(0, self.window, size=len(ids))
        return window_pairs(ids, sentences, radius, self.window)

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
        import tensorflow as tf

        epoch = tf.cast(epoch, tf.int64)
        return [tf.stack([tf.constant(self.seed, tf.int64), epoch * 8 + k]) for k in range(4)]

    def tf_keep(self, epoch):
        """The TensorFlow twin of `numpy_keep`."""
        import tensorflow as tf

        ids, _, keep_probability = self._tf_corpus()
        uniform = tf.random.stateless_uniform(tf.shape(ids), seed=self._tf_seeds(epoch)[_KEEP], dtype=tf.float64)
        return uniform < keep_probability

    def tf_pairs(self, epoch):
        """The TensorFlow twin of `numpy_pairs`."""
        import tensorflow as tf

        seeds = self._tf_seeds(epoch)
        ids, sentence_ids, _ = self._tf_corpus()
        keep = self.tf_keep(epoch)
        # Only a tiny corpus can lose every pair to subsampling; it then trains unsubsampled.
        # Two kept neighbours in one sentence always make a pair (every radius is >= 1).
        kept_sentences = tf.boolean_mask(sentence_ids, keep)
        has_pairs = tf.reduce_any(kept_sentences[1:] == kept_sentences[:-1])
        keep = tf.logical_or(keep, tf.logical_not(has_pairs))
        kept = tf.boolean_mask(ids, keep)
        radius = self.window - tf.random.stateless_uniform(
            tf.shape(kept), seed=seeds[_WINDOW], minval=0, maxval=self.window, dtype=tf.int32
        )
        return window_pairs(kept, tf.boolean_mask(sentence_ids, keep), radius, self.window, xp=tf)

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
        negatives = self.sampler.sample_tf(seed, contexts, self.num_negative)
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
        self.sampler.tf_tables()
        # The next epoch is drawn in the background while this one trains. Plain graph
        # code: skipping autograph's source conversion makes the traces faster.
        plain = tf.autograph.experimental.do_not_convert
        epochs_dataset = tf.data.Dataset.range(initial_epoch, epochs).map(plain(self.tf_epoch)).prefetch(1)
        chunks = epochs_dataset.flat_map(tf.data.Dataset.from_tensor_slices).map(plain(self.tf_chunk)).prefetch(2)
        batches = chunks.flat_map(tf.data.Dataset.from_tensor_slices).prefetch(16)
        options = tf.data.Options()
        # Fixed buffers are enough here; autotuning's thread delays the iterator's teardown,
        # and tf.data's graph rewrites add a quarter second before the first batch.
        options.autotune.enabled = False
        options.experimental_optimization.apply_default_optimizations = False
        return batches.with_options(options)


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
