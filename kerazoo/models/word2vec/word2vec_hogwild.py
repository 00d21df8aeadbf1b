"""Skip-gram SGD the way word2vec.c and gensim run it: pair by pair, threads sharing the tables without locks.

The Keras step (`skipgram_model.SkipGram` under `model.fit`) updates the
tables once per batch of 4,096 pairs; on a CPU its gathers and scatter-updates
are memory-bound and XLA runs them on one thread, and an XLA call locks every
variable it touches, so a second thread waits (docs/results.md, issue 25).
This module is the family's other fit step (`step="hogwild"`): a loop compiled
by Numba that takes, for each kept target word i and each context word o within
its window, one SGD step on the pair's negative-sampling loss

    softplus(-v'_o · v_i) + Σ_k softplus(v'_{n_k} · v_i)

at gensim's linearly decaying rate α (n_k from the unigram distribution to the
3/4, drawn with the sampler's alias table):

    g_0 = α (1 - σ(v'_o · v_i)),   g_k = -α σ(v'_{n_k} · v_i)
    v'_x += g_x v_i                (x = o, n_1, ..., n_K, in that order)
    v_i  += Σ_x g_x v'_x           (with each v'_x as it was before its own update)

Each thread takes an equal share of the epoch's kept words and updates the two
shared tables without locks (Hogwild, Niu et al. 2011), as word2vec.c's and
gensim's threads do: with several threads the result differs from run to run;
with one it is deterministic from the seed. The subsampling and the window draws
are the NumPy draws of `word2vec_sampling`; a negative equal to its pair's
context is skipped, as gensim skips it. The epoch's loss is the mean pair loss
over every `loss_every`-th target's pairs (a sample, so that the log is not
paid on every pair; every pair of a small corpus).

Numba compiles the loop once and caches it on disk (`cache=True`).
"""

import math
import threading

import numpy as np

from kerazoo.models.word2vec.word2vec_sampling import _NEGATIVE
from kerazoo.models.word2vec.word2vec_sampling import NegativeSampler
from kerazoo.models.word2vec.word2vec_sampling import _key
from kerazoo.models.word2vec.word2vec_sampling import check_pair_settings
from kerazoo.models.word2vec.word2vec_sampling import keep_probabilities
from kerazoo.models.word2vec.word2vec_sampling import negative_distribution
from kerazoo.models.word2vec.word2vec_sampling import numpy_draw_words

# The kernel's result row: pairs trained, and the sampled loss's sum and pair count.
PAIRS, LOSS_SUM, LOSS_PAIRS = 0, 1, 2
# A block with at most this many kept words measures the loss on every pair: the log's cost is small there,
# and a sample's noise is not.
EXACT_LOSS_WORDS = 1 << 16
# A score is clipped to +-CLIP before exp(): sigma then differs from 0 or 1 by under 1e-13 in float64
# and under float32's resolution, and exp() cannot overflow.
CLIP = 30.0


def available():
    """Whether Numba can be imported (the hogwild step needs it)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


_KERNEL = None


def kernel():
    """The compiled loop: compiled on first use (then read from Numba's cache), and run once on three words,
    so that the first epoch's clock does not include loading it."""
    global _KERNEL
    if _KERNEL is None:
        train = _compile()
        tables = [np.zeros((3, 2), np.float32) for _ in range(2)]
        words = np.arange(3, dtype=np.int32)
        train(*tables, words, np.zeros(3, np.int32), np.ones(3, np.int32), 0, 3, np.ones(3, np.float32),
              words, 1, 0.025, 0.0, np.uint64(1), 1, np.zeros(3, np.float64))
        _KERNEL = train
    return _KERNEL


def _compile():
    import numba

    @numba.njit(nogil=True, fastmath=True, cache=True)
    def train_words(vectors, contexts, ids, sentences, radius, begin, end, accept, alias, num_negative,
                    alpha_start, alpha_step, rng_state, loss_every, result):
        """SGD over the pairs of targets `begin:end` of `ids`; see the module's equations.

        alpha for target t is `alpha_start + alpha_step * (t - begin)`; `rng_state` (uint64) is
        this thread's xorshift64* state; `result` gets PAIRS, LOSS_SUM and LOSS_PAIRS.
        """
        dim = vectors.shape[1]
        size = accept.shape[0]
        count = ids.shape[0]
        neu = np.zeros(dim, dtype=np.float32)
        state = rng_state
        pairs = 0
        loss_sum = 0.0
        loss_pairs = 0
        for t in range(begin, end):
            alpha = np.float32(alpha_start + alpha_step * (t - begin))
            target = ids[t]
            sentence = sentences[t]
            r = radius[t]
            lo = max(0, t - r)
            hi = min(count, t + r + 1)
            measure = (t - begin) % loss_every == 0
            for c in range(lo, hi):
                if c == t or sentences[c] != sentence:
                    continue
                context = ids[c]
                for j in range(dim):
                    neu[j] = 0.0
                for k in range(num_negative + 1):
                    if k == 0:
                        out = context
                        label = np.float32(1.0)
                    else:
                        state ^= state >> np.uint64(12)
                        state ^= state << np.uint64(25)
                        state ^= state >> np.uint64(27)
                        draw = state * np.uint64(2685821657736338717)
                        column = np.int64(draw >> np.uint64(33)) % size
                        u = np.float32(np.int64(draw & np.uint64(0xFFFFFF))) / np.float32(16777216.0)
                        out = column if u < accept[column] else alias[column]
                        if out == context:
                            continue
                        label = np.float32(0.0)
                    score = np.float32(0.0)
                    for j in range(dim):
                        score += vectors[target, j] * contexts[out, j]
                    clipped = min(max(score, np.float32(-CLIP)), np.float32(CLIP))
                    e = math.exp(-clipped)
                    sigma = np.float32(1.0 / (1.0 + e))
                    g = (label - sigma) * alpha
                    for j in range(dim):
                        neu[j] += g * contexts[out, j]
                        contexts[out, j] += g * vectors[target, j]
                    if measure:
                        # softplus(-s) = log1p(exp(-s)) for the context, softplus(s) = s + log1p(exp(-s)) otherwise.
                        loss_sum += math.log1p(e) + (0.0 if k == 0 else clipped)
                for j in range(dim):
                    vectors[target, j] += neu[j]
                pairs += 1
                if measure:
                    loss_pairs += 1
        result[PAIRS] = pairs
        result[LOSS_SUM] = loss_sum
        result[LOSS_PAIRS] = loss_pairs
        return state

    return train_words


class HogwildEpochs:
    """The epochs of a corpus, trained in place on two NumPy tables by `workers` threads.

    The corpus comes in blocks: the whole corpus held in memory (one block,
    unit 0), or a stream's shards read one at a time from their token ids.
    Each block's draws are the Keras step's for the same unit
    (`word2vec_sampling.numpy_draw_words`), so both steps train the same pairs.

    Args:
        blocks: list of `(unit, read)`: `read()` returns the block's `(ids, sentence_ids)` int32 arrays.
        counts: int array. Vocabulary counts (subsampling and negatives).
        window, num_negative, sample, seed: as in `SkipGramData`.
        workers: int. Threads; each takes an equal share of a block's kept words.
        loss_every: int. The loss is measured on every `loss_every`-th target's pairs of a block
            with more than `EXACT_LOSS_WORDS` kept words, and on every pair of a smaller one.
    """

    def __init__(self, blocks, counts, window=5, num_negative=5, sample=1e-3, seed=0, workers=1, loss_every=16):
        check_pair_settings(window, num_negative, 1)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"`workers` must be an integer >= 1. Received: workers={workers!r}")
        self.blocks = list(blocks)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.window, self.num_negative, self.seed = int(window), int(num_negative), int(seed)
        self.workers, self.loss_every = workers, int(loss_every)
        self.keep_probability = keep_probabilities(self.counts, sample)
        sampler = NegativeSampler(negative_distribution(self.counts))
        self.accept = np.asarray(sampler.accept32, dtype=np.float32)
        self.alias = np.asarray(sampler.alias, dtype=np.int32)

    @classmethod
    def in_memory(cls, ids, sentence_ids, counts, **kwargs):
        ids, sentence_ids = np.asarray(ids, dtype=np.int32), np.asarray(sentence_ids, dtype=np.int32)
        return cls([(0, lambda: (ids, sentence_ids))], counts, **kwargs)

    @property
    def words(self):
        """Vocabulary words per pass over the corpus."""
        return int(self.counts.sum())

    def draw(self, epoch, unit=0, block=None):
        """A block's kept words, their sentences and their window radii in an epoch."""
        ids, sentence_ids = block if block is not None else dict(self.blocks)[unit]()
        kept, sentences, radius = numpy_draw_words(ids, sentence_ids, self.keep_probability[ids], self.window,
                                                   self.seed, epoch, unit)
        return kept, sentences, radius.astype(np.int32)

    def train_epoch(self, vectors, contexts, epoch, alpha_begin, alpha_end):
        """One epoch of SGD on `vectors` and `contexts` (float32, C-ordered, updated in place).

        The rate falls linearly from `alpha_begin` at the epoch's first word to
        `alpha_end` after its last; within a block, each thread's share spans
        the block's whole fall, as gensim's threads do when they progress together.

        Returns:
            dict: `pairs` trained and the sampled mean pair `loss`.
        """
        train = kernel()
        results = np.zeros((self.workers, 3), np.float64)
        total, done = max(1, self.words), 0
        for unit, read in self.blocks:
            ids, sentence_ids = read()
            kept, sentences, radius = self.draw(epoch, unit, (ids, sentence_ids))
            first = alpha_begin + (alpha_end - alpha_begin) * min(1.0, done / total)
            done += len(ids)
            last = alpha_begin + (alpha_end - alpha_begin) * min(1.0, done / total)
            self._train_block(train, vectors, contexts, kept, sentences, radius, epoch, unit, first, last, results)
        measured = results[:, LOSS_PAIRS].sum()
        return {"pairs": int(results[:, PAIRS].sum()),
                "loss": float(results[:, LOSS_SUM].sum() / measured) if measured else float("nan")}

    def _train_block(self, train, vectors, contexts, kept, sentences, radius, epoch, unit, first, last, results):
        bounds = np.linspace(0, len(kept), self.workers + 1).astype(np.int64)
        loss_every = self.loss_every if len(kept) > EXACT_LOSS_WORDS else 1
        errors = []

        def work(w):
            begin, end = int(bounds[w]), int(bounds[w + 1])
            step = (last - first) / max(1, end - begin)
            key = _key(self.seed, epoch, _NEGATIVE, unit) + [w]
            state = np.uint64(np.random.default_rng(key).integers(1, 2**63))
            row = np.zeros(3, np.float64)
            try:
                train(vectors, contexts, kept, sentences, radius, begin, end, self.accept, self.alias,
                      self.num_negative, first, step, state, loss_every, row)
            except BaseException as error:  # re-raised in the caller's thread
                errors.append(error)
            results[w] += row

        if self.workers == 1:
            work(0)
        else:
            threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(self.workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if errors:
            raise errors[0]
