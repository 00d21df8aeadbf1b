"""Skip-gram word2vec (Mikolov et al. 2013): negative sampling and the full softmax.

Every word w has an input vector v_w (the target embedding, the word vector
one keeps) and an output vector v'_w (the context embedding). A pair
(target i, context o) scores s = v'_o · v_i.

Negative sampling (Mikolov et al. 2013b, eq. 4) maximises, for each pair and
its K negatives n_1..n_K drawn from the unigram distribution to the 3/4,

    log σ(v'_o · v_i) + Σ_k log σ(-v'_{n_k} · v_i)

so the loss of a pair is softplus(-s_o) + Σ_k softplus(s_{n_k}). The cost of a
step grows with K, not with the vocabulary.

The full softmax (Mikolov et al. 2013a; eq. 2 of 2013b) normalises over the
whole vocabulary V:

    p(o | i) = exp(v'_o · v_i) / Σ_{w=1..V} exp(v'_w · v_i)

so every step scores, and updates, all V output vectors: its cost grows
linearly with the vocabulary (`benchmarks/word2vec_softmax_cost.py` measures
it).
"""

import keras
from keras import layers
from keras import ops

from kerazoo.models.presets import PresetMixin


def negative_sampling_loss(logits):
    """Per-pair loss from `[batch, 1 + K]` logits: column 0 the context, the rest negatives.

    Returns:
        `[batch]` tensor: -log σ(s_o) - Σ_k log σ(-s_{n_k}).
    """
    return ops.softplus(-logits[:, 0]) + ops.sum(ops.softplus(logits[:, 1:]), axis=-1)


class NegativeSamplingLoss(keras.losses.Loss):
    """A batch's mean pair loss, as a Keras loss (the pairs need no `y_true`: column 0 is the context).

    Being a `keras.losses.Loss`, it shares a batch out as Keras's own losses do
    under `tf.distribute`: each replica's mean is divided by the replicas, so
    their summed gradients are those of the global batch's mean.
    """

    def call(self, y_true, y_pred):
        return negative_sampling_loss(y_pred)


_PAIR_LOSS = NegativeSamplingLoss(name="negative_sampling")


def _validate(vocabulary_size, embedding_dim, num_negative=1):
    for name, value in (
        ("vocabulary_size", vocabulary_size),
        ("embedding_dim", embedding_dim),
        ("num_negative", num_negative),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")


def _target_embedding(vocabulary_size, embedding_dim):
    """The input vectors v_w, started as word2vec.c starts them: uniform in [-0.5/d, 0.5/d)."""
    limit = 0.5 / embedding_dim
    return layers.Embedding(
        vocabulary_size,
        embedding_dim,
        embeddings_initializer=keras.initializers.RandomUniform(-limit, limit),
        name="target_embedding",
    )


class _SkipGramBase(PresetMixin, keras.Model):
    """What both skip-gram models share: the word vectors, and a config of their constructor arguments."""

    # The constructor arguments `get_config` returns, besides the name and `trainable`.
    _config_arguments = ("vocabulary_size", "embedding_dim")

    @property
    def word_vectors(self):
        """The input vectors v_w as a NumPy array `[vocabulary_size, embedding_dim]`."""
        return ops.convert_to_numpy(self.get_layer("target_embedding").embeddings)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            **{argument: getattr(self, argument) for argument in self._config_arguments},
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerazoo")
class SkipGram(_SkipGramBase):
    """Skip-gram with negative sampling (SGNS), a functional `keras.Model`.

    The two embedding tables start as word2vec.c starts them: input vectors
    uniform in [-0.5/d, 0.5/d), output vectors at zero.

    The model computes its own loss (`compute_loss`): the batch mean of
    `negative_sampling_loss`. word2vec.c and gensim take one SGD step of rate
    α per pair; `kerazoo.training.train_word2vec` gets the same step sizes by
    running SGD at rate α · batch_size on this mean.

    Args:
        vocabulary_size: int. Number of words.
        embedding_dim: int. Width d of the word vectors.
        num_negative: int. Negatives K per pair.

    Call arguments:
        inputs: dict of int tensors: `"target"` `[batch]`, `"context"`
            `[batch]` and `"negative"` `[batch, num_negative]`.

    Returns:
        `[batch, 1 + num_negative]` logits: v'_o · v_i, then v'_{n_k} · v_i.

    Example:

    >>> model = SkipGram(vocabulary_size=10, embedding_dim=4, num_negative=2)
    >>> model({"target": np.array([1, 2]), "context": np.array([3, 4]),
    ...        "negative": np.array([[5, 6], [7, 8]])}).shape
    (2, 3)

    Reference:
        - Mikolov, Sutskever, Chen, Corrado, Dean, "Distributed
          Representations of Words and Phrases and their Compositionality"
          (NeurIPS 2013).
    """

    _config_arguments = ("vocabulary_size", "embedding_dim", "num_negative")

    def __init__(self, vocabulary_size, embedding_dim=100, num_negative=5, **kwargs):
        _validate(vocabulary_size, embedding_dim, num_negative)
        target = keras.Input(shape=(), dtype="int32", name="target")
        context = keras.Input(shape=(), dtype="int32", name="context")
        negative = keras.Input(shape=(num_negative,), dtype="int32", name="negative")
        target_embedding = _target_embedding(vocabulary_size, embedding_dim)
        context_embedding = layers.Embedding(
            vocabulary_size, embedding_dim, embeddings_initializer="zeros", name="context_embedding"
        )
        v = target_embedding(target)
        # One lookup for the context and its negatives: [batch, 1 + K, d].
        outputs = context_embedding(ops.concatenate([ops.expand_dims(context, 1), negative], axis=1))
        logits = ops.einsum("bd,bkd->bk", v, outputs)
        kwargs.setdefault("name", "skipgram")
        super().__init__(
            inputs={"target": target, "context": context, "negative": negative}, outputs=logits, **kwargs
        )
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.num_negative = num_negative

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = _PAIR_LOSS(y_pred, y_pred, sample_weight=sample_weight)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss


@keras.saving.register_keras_serializable(package="kerazoo")
class SkipGramSoftmax(_SkipGramBase):
    """Skip-gram with the full softmax over the vocabulary (eq. 2 of Mikolov et al. 2013b).

    Train it with `SparseCategoricalCrossentropy(from_logits=True)` on
    (target, context) pairs. Fine for small vocabularies; each step costs
    O(V · d), which is why negative sampling exists.

    Args:
        vocabulary_size: int. Number of words V.
        embedding_dim: int. Width d of the word vectors.

    Call arguments:
        target: int tensor `[batch]`.

    Returns:
        `[batch, vocabulary_size]` logits v'_w · v_i for every word w.

    Example:

    >>> model = SkipGramSoftmax(vocabulary_size=10, embedding_dim=4)
    >>> model(np.array([1, 2])).shape
    (2, 10)
    """

    def __init__(self, vocabulary_size, embedding_dim=100, **kwargs):
        _validate(vocabulary_size, embedding_dim)
        target = keras.Input(shape=(), dtype="int32", name="target")
        v = _target_embedding(vocabulary_size, embedding_dim)(target)
        # The kernel is the output-vector table, transposed: [d, V].
        logits = layers.Dense(
            vocabulary_size, use_bias=False, kernel_initializer="zeros", name="context_softmax"
        )(v)
        kwargs.setdefault("name", "skipgram_softmax")
        super().__init__(inputs=target, outputs=logits, **kwargs)
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
