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


def _key(seed, epoch, stream, unit=0):
    """The NumPy random key of one draw. Unit 0 (an in-memory corpus, or a stream's first
    shard) keeps the key the in-memory pipeline always used; unit u > 0 appends u."""
    return [seed, epoch, stream] + ([int(unit)] if unit else [])


def count_pairs(sentence_ids, keep, radius, window):
    """How many pairs `window_pairs` makes from the kept words with these radii (nothing allocated per pair)."""
    s = sentence_ids[keep]
    return sum(
        int(((s[o:] == s[:-o]) & (radius[:-o] >= o)).sum() + ((s[o:] == s[:-o]) & (radius[o:] >= o)).sum())
        for o in range(1, window + 1)
    )


def first_draw_pairs(sentence_ids, word_keep, window, seed):
    """`(all_pairs, expected)`: the pairs without subsampling, and those of the one draw that
    fixes a run's batch count (the same draw for a corpus in memory and a stream's first shards)."""
    sentence_ids = np.asarray(sentence_ids)
    all_pairs = count_pairs(sentence_ids, np.ones(len(sentence_ids), dtype=bool),
                            np.full(len(sentence_ids), window), window)
    rng = np.random.default_rng([seed, 1 << 30])
    keep = rng.random(len(sentence_ids)) < word_keep
    radius = window - rng.integers(0, window, size=int(keep.sum()))
    return all_pairs, count_pairs(sentence_ids, keep, radius, window)


def numpy_draw_pairs(ids, sentence_ids, word_keep, window, seed, epoch, unit=0):
    """One epoch's (target, context) pairs of a block of words: subsampling, then the windows.

    Args:
        ids, sentence_ids: int32 arrays, the words and the sentence of each.
        word_keep: float64 array. Each word's probability of being kept.
        window: int.
        seed, epoch, unit: the draw's random key (`unit`: the shard of a stream; 0 in memory).

    Returns:
        `(targets, contexts)`, int32 arrays in corpus order by offset.
    """
    keep = np.random.default_rng(_key(seed, epoch, _KEEP, unit)).random(len(ids)) < word_keep
    # Only a tiny corpus can lose every pair to subsampling; it then trains unsubsampled.
    # Two kept neighbours in one sentence always make a pair (every radius is >= 1).
    kept_sentences = sentence_ids[keep]
    if not (kept_sentences[1:] == kept_sentences[:-1]).any():
        keep = np.ones(len(ids), dtype=bool)
    ids, sentences = ids[keep], sentence_ids[keep]
    rng = np.random.default_rng(_key(seed, epoch, _WINDOW, unit))
    radius = window - rng.integers(0, window, size=len(ids))
    return window_pairs(ids, sentences, radius, window)


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
    return window_pairs(kept, tf.boolean_mask(sentence_ids, keep), radius, window, xp=tf)


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
        all_pairs, expected = first_draw_pairs(self.sentence_ids, self._word_keep_probability, self.window, self.seed)
        if all_pairs == 0:
            raise ValueError(
                "The corpus gives no skip-gram pairs: no sentence holds two vocabulary words. "
                "Use a larger corpus or a smaller `min_count`."
            )
        # One draw fixes the batch size and the steps of every epoch.
        expected = expected or all_pairs
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
    corpus (the same draw `SkipGramData` makes, on up to `estimate_words`
    words), scaled to the counted words of this worker's shards: pairs per
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

        for name, value in (("window", window), ("num_negative", num_negative), ("batch_size", batch_size)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")
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

        sampled_words = all_pairs = expected = 0
        for path in self.all_shards:
            ids, sentence_ids = self.numpy_shard_ids(path)
            shard_all, shard_expected = first_draw_pairs(
                sentence_ids, self.keep_probability[ids], self.window, self.seed
            )
            sampled_words += len(ids)
            all_pairs += shard_all
            expected += shard_expected
            if sampled_words >= estimate_words and all_pairs:
                break
        if all_pairs == 0:
            raise ValueError(
                "The corpus gives no skip-gram pairs: no sentence holds two vocabulary words. "
                "Use a larger corpus or a smaller `min_count`."
            )
        per_word = (expected or all_pairs) / sampled_words
        # Every worker computes the same count (from the same first shards), so collectives agree.
        epoch_pairs = max(1, int(round(per_word * self.counts.sum() / num_workers)))
        self.batch_size = int(min(batch_size, epoch_pairs))
        steps = epoch_pairs / self.batch_size
        if steps >= steps_multiple:
            self.steps_per_epoch = steps_multiple * int(round(steps / steps_multiple))
            self.chunk_steps = steps_multiple
        else:
            self.steps_per_epoch = max(1, int(round(steps)))
            self.chunk_steps = 1

    @property
    def pairs_per_epoch(self):
        return self.steps_per_epoch * self.batch_size

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
        negatives = self.sampler.sample_tf(seed, tf.reshape(contexts, [-1]), self.num_negative)
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
        self.sampler.tf_tables()
        plain = tf.autograph.experimental.do_not_convert
        # The next shard is read and windowed in the background while this one trains.
        chunks = self.tf_rebatch(self.tf_shard_dataset(initial_epoch).prefetch(1))
        start = initial_epoch * self.steps_per_epoch // self.chunk_steps
        chunks = chunks.enumerate(start).map(lambda chunk, pair: plain(self.tf_negatives)(chunk, *pair))
        batches = chunks.prefetch(2).flat_map(tf.data.Dataset.from_tensor_slices)
        options = tf.data.Options()
        options.autotune.enabled = False
        options.experimental_optimization.apply_default_optimizations = False
        # Each worker reads its own shards (`worker_shards`); tf.distribute must not shard again.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return batches.prefetch(16).with_options(options)
