"""The random draws of skip-gram training, in NumPy: subsampling, windows, negatives, the epoch's shape.

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
int32 ids, the input of `kerazoo.models.word2vec.SkipGram`. The pipelines that
serve them are `word2vec_data.SkipGramData` (a corpus in memory) and
`word2vec_stream_data.SkipGramStream` (text shards on disk); their TensorFlow
twins of these draws are in `word2vec_data`. Both take the shape of their
epochs from `epoch_shape`. No TensorFlow here.
"""

import dataclasses

import numpy as np

# Random-number streams of one epoch: each operation draws from its own.
_KEEP, _WINDOW, _SHUFFLE, _NEGATIVE = range(4)


def check_pair_settings(window, num_negative, batch_size):
    """Raises a ValueError naming the first of `window`, `num_negative`, `batch_size` that is not an integer >= 1."""
    for name, value in (("window", window), ("num_negative", num_negative), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")


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


def _numpy_mask(x, m):
    return x[m]


def window_pairs(ids, sentence_ids, radius, window, mask=_numpy_mask, concat=np.concatenate):
    """All (target, context) pairs of the reduced windows, as two flat arrays.

    Word i pairs with word j when they share a sentence and 0 < |i - j| <=
    radius[i]. The loop runs over the `window` offsets, each one vectorised
    over the whole corpus. `mask` and `concat` are the array library's boolean
    mask and concatenation (NumPy's by default; `word2vec_data` passes
    TensorFlow's).
    """
    targets, contexts = [], []
    for offset in range(1, window + 1):
        same = sentence_ids[offset:] == sentence_ids[:-offset]
        # Word i looks right to i + offset; word i + offset looks left to i.
        right = same & (radius[:-offset] >= offset)
        left = same & (radius[offset:] >= offset)
        targets += [mask(ids[:-offset], right), mask(ids[offset:], left)]
        contexts += [mask(ids[offset:], right), mask(ids[:-offset], left)]
    return concat(targets), concat(contexts)


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


def numpy_draw_words(ids, sentence_ids, word_keep, window, seed, epoch, unit=0):
    """One epoch's draws over a block of words: the kept words, their sentences and each one's window radius.

    Args:
        ids, sentence_ids: int32 arrays, the words and the sentence of each.
        word_keep: float64 array. Each word's probability of being kept.
        window: int.
        seed, epoch, unit: the draw's random key (`unit`: the shard of a stream; 0 in memory).

    Returns:
        `(ids, sentences, radius)`: the kept words in corpus order, and int arrays; radius in 1..window.
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
    return ids, sentences, radius


def numpy_draw_pairs(ids, sentence_ids, word_keep, window, seed, epoch, unit=0):
    """One epoch's (target, context) pairs of a block of words: subsampling, then the windows.

    Arguments as `numpy_draw_words`'s. Returns `(targets, contexts)`, int32 arrays in corpus order by offset.
    """
    ids, sentences, radius = numpy_draw_words(ids, sentence_ids, word_keep, window, seed, epoch, unit)
    return window_pairs(ids, sentences, radius, window)


@dataclasses.dataclass(frozen=True)
class EpochShape:
    """How a run cuts every one of its epochs into batches.

    Attributes:
        batch_size: int. Pairs per batch (fewer than asked for when an epoch
            has fewer pairs).
        steps_per_epoch: int. Batches per epoch, fixed for the run.
        chunk_steps: int. Batches whose negatives a tf.data pipeline draws in
            one go: the steps of one execution, `min(steps_multiple,
            steps_per_epoch)` (the family compiles with the same cap).
    """

    batch_size: int
    steps_per_epoch: int
    chunk_steps: int

    @property
    def pairs_per_epoch(self):
        return self.steps_per_epoch * self.batch_size


def epoch_shape(blocks, window, seed, batch_size, steps_multiple=1, epoch_words=None, estimate_words=None):
    """The `EpochShape` of a run, from one draw on the first blocks of its corpus.

    One function for a corpus in memory (one block, every word) and a stream
    (its shards, read until `estimate_words`), so the same corpus gets the same
    shape either way. The draw (`first_draw_pairs`) gives pairs per word; times
    the words of an epoch, that is the pairs of an epoch, and so its steps.

    Args:
        blocks: iterable of `(sentence_ids, word_keep)` array pairs: each
            block's words and their keep probabilities. Read lazily.
        window, seed: int. As `SkipGramData`.
        batch_size: int. The pairs per batch asked for.
        steps_multiple: int. The steps are a multiple of it when an epoch has
            that many (Keras's `steps_per_execution` must divide them).
        epoch_words: float or None. Vocabulary words in one epoch (of one
            worker); None: the words of the blocks read (a corpus in memory).
        estimate_words: int or None. Stop reading blocks once this many words
            are read and some make pairs; None reads every block.

    Raises:
        ValueError: when the blocks read give no pair at all.
    """
    sampled_words = all_pairs = expected = 0
    for sentence_ids, word_keep in blocks:
        block_all, block_expected = first_draw_pairs(sentence_ids, word_keep, window, seed)
        sampled_words += len(sentence_ids)
        all_pairs += block_all
        expected += block_expected
        if estimate_words is not None and sampled_words >= estimate_words and all_pairs:
            break
    if all_pairs == 0:
        raise ValueError(
            "The corpus gives no skip-gram pairs: no sentence holds two vocabulary words. "
            "Use a larger corpus or a smaller `min_count`."
        )
    # Only a tiny corpus can lose every pair of the draw to subsampling; it then trains unsubsampled.
    per_word = (expected or all_pairs) / sampled_words
    # In memory this is the draw's own count: (e / n) * n is within a rounding error of e.
    epoch_pairs = max(1, int(round(per_word * (sampled_words if epoch_words is None else epoch_words))))
    batch_size = int(min(batch_size, epoch_pairs))
    steps = epoch_pairs / batch_size
    if steps >= steps_multiple:
        steps_per_epoch = steps_multiple * int(round(steps / steps_multiple))
    else:
        steps_per_epoch = max(1, int(round(steps)))
    # A chunk is one execution's batches. The in-memory pipeline reshapes an epoch into
    # [steps / chunk, chunk, B], so the chunk divides the steps: `steps_multiple`, or the whole
    # epoch when it is shorter than one execution. The stream used to take 1 in that case; a
    # chunk of the whole epoch serves it as well, and one rule gives both the same shape.
    return EpochShape(batch_size, steps_per_epoch, min(steps_multiple, steps_per_epoch))
