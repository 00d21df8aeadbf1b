"""The n-gram language model as a Keras model: smoothed tables as weights, looked up with `keras.ops`.

`NgramTable` holds the interpolation tables of `kerazoo.models.ngram.ngram_counts`
(a context trie and the words seen after each context, with their
interpolation weights) as non-trainable weights, and computes

    p_n(w | h) = alpha_n(h, w) + gamma_n(h) * p_{n-1}(w | h')

from the order-1 distribution up, for a whole vocabulary (`distribution`)
or one target word (`target_probability`). `NgramLM` wraps it in the
decoding protocol: the decoding state is the last `order - 1` token ids, so
the shared decoding loop, samplers and the `generate` signature serve it like
any other generator.
"""

import math

import keras
import numpy as np
from keras import ops

from kerazoo.generation.decoding import DecodingMixin
from kerazoo.models.ngram.ngram_counts import BASES
from kerazoo.models.ngram.ngram_counts import SMOOTHINGS
from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number
from kerazoo.utils.arguments import check_positive


def check_ngram_arguments(order=3, smoothing="kn", discount=0.75, k=1.0, base="uniform"):
    """Raises ValueError naming the first bad argument of an n-gram model."""
    check_integer("order", order, minimum=1)
    check_choice("smoothing", smoothing, SMOOTHINGS)
    check_number("discount", discount, minimum=0, maximum=1, exclusive_minimum=True)
    check_positive("k", k)
    check_choice("base", base, BASES)


def _lower_bound(values, lo, hi, target, steps):
    """The first index in [lo, hi) whose value is >= target (hi if none), by `steps` halvings."""
    last = ops.shape(values)[0] - 1
    for _ in range(steps):
        active = lo < hi
        mid = ops.floor_divide(lo + hi, 2)
        right = ops.take(values, ops.minimum(mid, last)) < target
        lo = ops.where(ops.logical_and(active, right), mid + 1, lo)
        hi = ops.where(ops.logical_and(active, ops.logical_not(right)), mid, hi)
    return lo


def _steps(size):
    """Halvings a binary search over `size` entries needs."""
    return max(1, math.ceil(math.log2(size + 1)))


@keras.saving.register_keras_serializable(package="kerazoo")
class NgramTable(keras.layers.Layer):
    """The smoothed n-gram tables of one model, as weights.

    Args:
        vocabulary_size: int. V, the out-of-vocabulary id 0 included.
        order: int >= 1.
        table_sizes: dict or None. For each order k >= 2 (lists in order):
            `contexts` C_k, `entries` E_k, `fan_out` (most words after one
            context) and `children` (most contexts extending one context);
            `stored_counts`. None: an untrained model, whose weights are made by
            `set_tables`.

    Weights (per order k >= 2): `context_token_k` (C_k,), `child_start_k`
    (C_{k-1} + 1,), `gamma_k` (C_k,), `entry_start_k` (C_k + 1,),
    `entry_word_k` and `entry_alpha_k` (E_k + 1,: one padding entry at the
    end); and `unigram` (V,), the order-1 distribution.
    """

    def __init__(self, vocabulary_size, order, table_sizes=None, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = int(vocabulary_size)
        self.order = int(order)
        self.table_sizes = None
        if table_sizes is not None:
            self._make_weights(table_sizes)

    def _make_weights(self, table_sizes):
        self.table_sizes = {key: (list(value) if isinstance(value, (list, tuple)) else value)
                            for key, value in table_sizes.items()}
        self.unigram = self.add_weight(shape=(self.vocabulary_size,), initializer="zeros", dtype="float32",
                                       trainable=False, name="unigram")
        self.levels = []
        parents = 1
        for index in range(self.order - 1):
            contexts, entries = table_sizes["contexts"][index], table_sizes["entries"][index]
            k = index + 2

            def weight(name, size, dtype):
                return self.add_weight(shape=(size,), initializer="zeros", dtype=dtype, trainable=False,
                                       name=f"{name}_{k}")

            self.levels.append({
                "context_token": weight("context_token", contexts, "int32"),
                "child_start": weight("child_start", parents + 1, "int32"),
                "gamma": weight("gamma", contexts, "float32"),
                "entry_start": weight("entry_start", contexts + 1, "int32"),
                "entry_word": weight("entry_word", entries + 1, "int32"),
                "entry_alpha": weight("entry_alpha", entries + 1, "float32"),
            })
            parents = contexts
        self.built = True

    def set_tables(self, unigram, tables, stored_counts):
        """Writes `ngram_counts.estimate`'s tables into the weights (made here for an untrained model)."""
        sizes = {
            "contexts": [len(t["gamma"]) for t in tables],
            "entries": [len(t["entry_word"]) for t in tables],
            "fan_out": [int(np.max(np.diff(t["entry_start"]), initial=0)) for t in tables],
            "children": [int(np.max(np.diff(t["child_start"]), initial=0)) for t in tables],
            "stored_counts": int(stored_counts),
        }
        if self.table_sizes is None:
            self._make_weights(sizes)
        elif self.table_sizes != sizes:
            raise ValueError(
                f"These tables do not fit the model's weights: the model holds {self.table_sizes}, the counts give "
                f"{sizes}. Build a new model for new counts."
            )
        self.unigram.assign(np.asarray(unigram, np.float32))
        for level, table in zip(self.levels, tables):
            level["context_token"].assign(np.asarray(table["context_token"], np.int32))
            level["child_start"].assign(np.asarray(table["child_start"], np.int32))
            level["gamma"].assign(np.asarray(table["gamma"], np.float32))
            level["entry_start"].assign(np.asarray(table["entry_start"], np.int32))
            level["entry_word"].assign(np.append(table["entry_word"], 0).astype(np.int32))
            level["entry_alpha"].assign(np.append(table["entry_alpha"], 0.0).astype(np.float32))

    @property
    def trained(self):
        return self.table_sizes is not None

    def _check_trained(self):
        if not self.trained:
            raise ValueError("This n-gram model holds no counts yet: train it (`kerazoo train ngram`) first.")

    def _contexts(self, history):
        """Yields `(level, found, context)` for orders 2..n: whether each row's context is seen, and its index."""
        batch = ops.shape(history)[0]
        context = ops.zeros((batch,), "int32")
        found = ops.ones((batch,), "bool")
        for index, level in enumerate(self.levels):
            token = history[:, self.order - 2 - index]  # the token index + 1 places back
            lo = ops.take(level["child_start"], context)
            hi = ops.take(level["child_start"], context + 1)
            position = _lower_bound(level["context_token"], lo, hi, token, _steps(self.table_sizes["children"][index]))
            last = self.table_sizes["contexts"][index] - 1
            hit = ops.logical_and(
                ops.logical_and(found, position < hi),
                ops.take(level["context_token"], ops.clip(position, 0, last)) == token,
            )
            found, context = hit, ops.where(hit, position, 0)
            yield index, level, found, context

    def distribution(self, history):
        """p(. | history): float32 (batch, V) for int32 histories (batch, order - 1), oldest token first."""
        self._check_trained()
        history = ops.cast(history, "int32")
        batch = ops.shape(history)[0]
        size = self.vocabulary_size
        p = ops.zeros((batch, size), "float32") + ops.expand_dims(self.unigram, 0)
        for index, level, found, context in self._contexts(history):
            gamma = ops.where(found, ops.take(level["gamma"], context), 1.0)
            fan_out = self.table_sizes["fan_out"][index]
            p = p * ops.expand_dims(gamma, 1)
            if fan_out == 0:
                continue
            start = ops.take(level["entry_start"], context)
            stop = ops.where(found, ops.take(level["entry_start"], context + 1), start)
            positions = ops.expand_dims(start, 1) + ops.expand_dims(ops.arange(fan_out, dtype="int32"), 0)
            valid = positions < ops.expand_dims(stop, 1)
            positions = ops.minimum(positions, self.table_sizes["entries"][index])  # the padding entry
            words = ops.take(level["entry_word"], positions)
            alpha = ops.where(valid, ops.take(level["entry_alpha"], positions), 0.0)
            rows = ops.zeros_like(words) + ops.expand_dims(ops.arange(batch, dtype="int32"), 1)
            indices = ops.reshape(ops.stack([rows, words], axis=-1), (-1, 2))
            p = p + ops.scatter(indices, ops.reshape(alpha, (-1,)), (batch, size))
        return p

    def target_probability(self, history, targets):
        """p(target | history): float32 (batch,), without building the whole distribution."""
        self._check_trained()
        history = ops.cast(history, "int32")
        targets = ops.cast(targets, "int32")
        p = ops.take(self.unigram, targets)
        for index, level, found, context in self._contexts(history):
            gamma = ops.where(found, ops.take(level["gamma"], context), 1.0)
            start = ops.take(level["entry_start"], context)
            stop = ops.where(found, ops.take(level["entry_start"], context + 1), start)
            position = _lower_bound(level["entry_word"], start, stop, targets, _steps(self.table_sizes["fan_out"][index]))
            hit = ops.logical_and(position < stop, ops.take(level["entry_word"], position) == targets)
            p = p * gamma + ops.where(hit, ops.take(level["entry_alpha"], position), 0.0)
        return p

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "order": self.order,
                "table_sizes": self.table_sizes}


@keras.saving.register_keras_serializable(package="kerazoo")
class NgramLM(DecodingMixin, keras.Model):
    """An n-gram language model: next-token logits log p(w | last order - 1 tokens).

    It is trained by counting (`NgramFamily.fit`), not by
    gradient steps, and has no trainable weights. The text before the first
    token is `order - 1` copies of id 0, so a prompt is read as the start of
    a text.

    Args:
        vocabulary_size: int. V, the out-of-vocabulary id 0 included.
        order: int >= 1. n: the model conditions on the n - 1 previous tokens.
        smoothing: `"kn"` (interpolated Kneser-Ney), `"modified-kn"` (three
            discounts per order, Chen & Goodman 1998) or `"add-k"` (Lidstone).
        discount: float in (0, 1]. The Kneser-Ney discount `d`.
        k: float > 0. The add-k pseudo-count (1 is Laplace).
        base: `"uniform"` (the order-1 distribution interpolates with 1/V, so
            every token has probability > 0) or `"none"` (NLTK's convention).
        table_sizes: dict or None. Set by training; see `NgramTable`.

    Call arguments:
        token_ids: int32 (batch, time). Returns logits (batch, time, V): at
            position t, log p(token t + 1 | tokens up to t).

    Example:

    >>> model = build_ngram(10, order=3)  # untrained; `kerazoo train ngram` counts a corpus

    Reference:
        Kneser & Ney (1995), "Improved backing-off for M-gram language modeling".
        Chen & Goodman (1998), "An empirical study of smoothing techniques for language modeling".
    """

    def __init__(self, vocabulary_size, order=3, smoothing="kn", discount=0.75, k=1.0, base="uniform",
                 table_sizes=None, **kwargs):
        check_ngram_arguments(order, smoothing, discount, k, base)
        super().__init__(**kwargs)
        self.vocabulary_size = int(vocabulary_size)
        self.order = int(order)
        self.smoothing, self.discount, self.k, self.base = smoothing, float(discount), float(k), base
        self.table = NgramTable(vocabulary_size, order, table_sizes, name="ngram_table")
        self.width = max(self.order - 1, 1)  # order 1 keeps one (unused) column of state
        # Fit by counting: no optimizer, ever (callbacks that read `model.optimizer` find None).
        self.optimizer = None
        if table_sizes is not None:
            self.built = True

    @property
    def trained(self):
        return self.table.trained

    def set_tables(self, unigram, tables, stored_counts):
        self.table.set_tables(unigram, tables, stored_counts)
        self.built = True

    @property
    def stored_counts(self):
        return self.table.table_sizes["stored_counts"] if self.trained else 0

    def count_params(self):
        return super().count_params() if self.trained else 0

    def histories(self, token_ids):
        """(batch, time, width): the `order - 1` tokens up to and including each position, 0-padded."""
        token_ids = ops.cast(token_ids, "int32")
        time = ops.shape(token_ids)[1]
        padded = ops.concatenate([ops.zeros((ops.shape(token_ids)[0], self.width), "int32"), token_ids], axis=1)
        columns = [padded[:, 1 + j : 1 + j + time] for j in range(self.width)]
        return ops.stack(columns, axis=-1)

    def call(self, token_ids, training=False):
        history = self.histories(token_ids)
        batch, time = ops.shape(history)[0], ops.shape(history)[1]
        p = self.table.distribution(ops.reshape(history, (-1, self.width)))
        return ops.reshape(ops.log(p), (batch, time, self.vocabulary_size))

    # --- The decoding protocol: the state is the last `order - 1` token ids ---

    def initial_decoding_state(self, batch_size):
        return ops.zeros((batch_size, self.width), "int32")

    def _push(self, state, token_ids):
        if self.order == 1:
            return state
        return ops.concatenate([state[:, 1:], ops.expand_dims(ops.cast(token_ids, "int32"), 1)], axis=1)

    def decoding_step(self, token_ids, state):
        state = self._push(state, token_ids)
        return ops.log(self.table.distribution(state)), state

    def prefill(self, token_ids, state):
        if self.order == 1:
            return state
        joined = ops.concatenate([state, ops.cast(token_ids, "int32")], axis=1)
        return joined[:, ops.shape(joined)[1] - self.width :]

    # --- Held-out measures ---

    def log_probabilities(self, ids, chunk=65536):
        """ln p(token_t | the order - 1 tokens before it) for every token of `ids` (NumPy float64),
        the text before the first token being padding (id 0)."""
        from kerazoo.models.ngram.ngram_counts import padded_windows

        history, targets = padded_windows(np.asarray(ids), self.order)
        out = []
        for start in range(0, len(targets), chunk):
            p = self.table.target_probability(history[start : start + chunk].astype(np.int32),
                                              targets[start : start + chunk].astype(np.int32))
            out.append(np.log(keras.ops.convert_to_numpy(p).astype(np.float64)))
        return np.concatenate(out) if out else np.zeros(0)

    def get_config(self):
        return {
            "name": self.name, "trainable": self.trainable, "vocabulary_size": self.vocabulary_size,
            "order": self.order, "smoothing": self.smoothing, "discount": self.discount, "k": self.k,
            "base": self.base, "table_sizes": self.table.table_sizes,
        }


def build_ngram(vocabulary_size, order=3, smoothing="kn", discount=0.75, k=1.0, base="uniform"):
    """An n-gram language model (Kneser-Ney or add-k), trained by counting."""
    return NgramLM(vocabulary_size, order=order, smoothing=smoothing, discount=discount, k=k, base=base, name="ngram")
