import math

import keras
from keras import ops

from kerazoo.utils.arguments import check_integer

# Far below any real logit, but finite, so a row never turns into NaN.
_REMOVED = -1e9


def log_uniform_probabilities(ids, vocabulary_size):
    """P(k) = (log(k + 2) − log(k + 1)) / log(V + 1): Zipf's law over ids sorted by frequency."""
    ids = ops.cast(ids, "float32")
    return (ops.log(ids + 2.0) - ops.log(ids + 1.0)) / math.log(vocabulary_size + 1.0)


def sampled_softmax_nll(hidden, targets, kernel, bias, sampled_ids, vocabulary_size):
    """−log p(target) under a sampled softmax, for each row (Jean et al. 2015, as `tf.nn.sampled_softmax_loss`).

    The true word and the sampled words are scored as in the full softmax;
    each score is lowered by log Q(w), Q(w) = S · P(w) the expected number of
    times the sampler draws w in S draws, which makes the sampled softmax an
    unbiased estimate of the full one as S grows. A sampled word equal to the
    row's target (an accidental hit) is removed from that row.

    Args:
        hidden: float `(N, D)`. targets: int `(N,)`. kernel: `(V, D)`. bias: `(V,)`.
        sampled_ids: int `(S,)`, drawn from `log_uniform_probabilities`.
        vocabulary_size: int V.

    Returns:
        float32 `(N,)`.
    """
    hidden = ops.cast(hidden, "float32")
    num_samples = ops.cast(ops.shape(sampled_ids)[0], "float32")
    true_logits = ops.sum(hidden * ops.cast(ops.take(kernel, targets, axis=0), "float32"), axis=-1)
    true_logits = true_logits + ops.cast(ops.take(bias, targets), "float32")
    true_logits = true_logits - ops.log(num_samples * log_uniform_probabilities(targets, vocabulary_size))
    sampled_logits = ops.matmul(hidden, ops.transpose(ops.cast(ops.take(kernel, sampled_ids, axis=0), "float32")))
    sampled_logits = sampled_logits + ops.cast(ops.take(bias, sampled_ids), "float32")
    sampled_logits = sampled_logits - ops.log(num_samples * log_uniform_probabilities(sampled_ids, vocabulary_size))
    hits = ops.equal(ops.expand_dims(targets, 1), ops.expand_dims(sampled_ids, 0))
    sampled_logits = ops.where(hits, _REMOVED, sampled_logits)
    logits = ops.concatenate([ops.expand_dims(true_logits, 1), sampled_logits], axis=1)
    return ops.logsumexp(logits, axis=1) - true_logits


@keras.saving.register_keras_serializable(package="kerazoo")
class SampledSoftmax(keras.layers.Layer):
    """A softmax output layer over a word vocabulary, trained with a sampled softmax when the vocabulary is large.

    logits = h Wᵀ + b over all V words. `nll` returns −log p(target) for each
    position: exact (full softmax) when evaluating or when `num_samples` is 0,
    and estimated from `num_samples` words drawn from a log-uniform
    distribution when training (see `sampled_softmax_nll`). The ids must be
    sorted by falling frequency, as ELMo's `BilmVocabulary` sorts them.
    ELMo shares one such layer between its two directions.

    Args:
        vocabulary_size: int V.
        num_samples: int. Words sampled per training step; 0 trains with the
            full softmax (fine for a vocabulary of a few thousand words).
        kernel_initializer: initializer of W `(V, D)`.
        seed: int or None, for the sampler.

    Call arguments:
        hidden: float tensor `(..., D)`.

    Returns:
        Logits `(..., V)`.

    Reference:
        Jean, Cho, Memisevic & Bengio, "On Using Very Large Target Vocabulary for
        Neural Machine Translation", ACL 2015, section 3.
    """

    def __init__(self, vocabulary_size, num_samples=0, kernel_initializer="glorot_uniform", seed=None, **kwargs):
        super().__init__(**kwargs)
        check_integer("vocabulary_size", vocabulary_size, minimum=2)
        check_integer("num_samples", num_samples, minimum=0, maximum=vocabulary_size, exclusive_maximum=True)
        self.vocabulary_size = vocabulary_size
        self.num_samples = num_samples
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, hidden_shape):
        width = hidden_shape[-1]
        self.kernel = self.add_weight(
            name="kernel", shape=(self.vocabulary_size, width), initializer=self.kernel_initializer
        )
        self.bias = self.add_weight(name="bias", shape=(self.vocabulary_size,), initializer="zeros")

    def call(self, hidden):
        return ops.einsum("...d,vd->...v", hidden, self.kernel) + self.bias

    def sample(self):
        """`num_samples` ids drawn with replacement from the log-uniform distribution."""
        u = keras.random.uniform((self.num_samples,), seed=self.seed_generator)
        ids = ops.floor(ops.exp(u * math.log(self.vocabulary_size + 1.0))) - 1.0
        return ops.clip(ops.cast(ids, "int32"), 0, self.vocabulary_size - 1)

    def nll(self, hidden, targets, training=False):
        """−log p(target) at each position, 0 where the target is 0 (no target).

        Args:
            hidden: float `(..., D)`. targets: int `(...)`.
            training: bool. Sample the softmax (when `num_samples` > 0).
        """
        targets = ops.cast(targets, "int32")
        shape = ops.shape(targets)
        flat_hidden = ops.reshape(hidden, (-1, ops.shape(hidden)[-1]))
        flat_targets = ops.reshape(targets, (-1,))
        if training and self.num_samples:
            nll = sampled_softmax_nll(
                flat_hidden, flat_targets, self.kernel, self.bias, self.sample(), self.vocabulary_size
            )
        else:
            logits = ops.cast(self(flat_hidden), "float32")
            nll = ops.logsumexp(logits, axis=-1) - ops.take_along_axis(
                logits, ops.expand_dims(flat_targets, 1), axis=1
            )[:, 0]
        nll = ops.where(ops.not_equal(flat_targets, 0), nll, 0.0)
        return ops.reshape(nll, shape)

    def compute_output_shape(self, hidden_shape):
        return tuple(hidden_shape[:-1]) + (self.vocabulary_size,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "num_samples": self.num_samples,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "seed": self.seed,
            }
        )
        return config
