"""A small biLSTM word tagger for punctuation and case restoration, over four kinds of word input.

One architecture for every input, so that only the input differs:

- `"scratch"`: word embeddings learned with the task;
- `"word2vec"`: frozen word vectors (e.g. the `plays-word2vec` preset);
- `"elmo"`: the L + 1 cached layers of a frozen biLM, mixed by a trained
  `ScalarMix` (γ Σ_j s_j h_j). With `elmo_mean` and `elmo_variance` each
  layer's units are first standardised with training statistics, fixed
  (the plays biLM's character layer has units of mean up to 13 and standard
  deviation 7 beside LSTM layers within ±6, and unscaled it swamps the mix);
- `"elmo+word2vec"`: that mix concatenated with the frozen word vectors, as
  ELMo's paper adds its vectors to a task model's word input.

The input goes through a bidirectional LSTM and two softmax heads per word:
`punctuation` (the mark that follows the word, `PUNCTUATION`'s 7 classes) and
`capital` (2 classes). Padding (word id 0) is masked in the LSTM and carries
no loss (`tag_sample_weights`).
"""

import keras
import numpy as np
from keras import ops

from kerazoo.data.punctuation import PUNCTUATION
from kerazoo.layers.scalar_mix import ScalarMix

INPUT_KINDS = ("scratch", "word2vec", "elmo", "elmo+word2vec")


def build_elmo_tagger(
    input_kind,
    vocabulary_size=None,
    word_vectors=None,
    embedding_dim=100,
    elmo_layers=3,
    elmo_dim=256,
    elmo_mean=None,
    elmo_variance=None,
    lstm_units=64,
    dropout=0.25,
    seed=0,
):
    """The tagger, a functional `keras.Model`.

    Args:
        input_kind: one of `INPUT_KINDS`.
        vocabulary_size: int, ids 0 (padding) to `vocabulary_size - 1`; for `"scratch"`.
        word_vectors: float array `(vocabulary_size, dim)`, row i the frozen
            vector of word id i; for `"word2vec"` and `"elmo+word2vec"`.
        embedding_dim: int. Width of scratch embeddings.
        elmo_layers, elmo_dim: the cached biLM layers' count (L + 1) and width.
        elmo_mean, elmo_variance: optional float arrays `(elmo_layers, elmo_dim)`,
            statistics of the training words' layers to standardise them with.
        lstm_units: int. Units of each LSTM direction.
        dropout: float. Dropout on the word input and on the LSTM output.
        seed: int. Initialisation and dropout seed.

    Inputs: `word_ids` int `(batch, time)` (always: it gives the mask) and, for
    the ELMo kinds, `elmo` float `(batch, time, elmo_layers, elmo_dim)`.
    Outputs: `punctuation` `(batch, time, 7)` and `capital` `(batch, time, 2)` probabilities.
    """
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"`input_kind` must be one of {INPUT_KINDS}. Received: input_kind={input_kind!r}")
    uses_vectors = input_kind in ("word2vec", "elmo+word2vec")
    if uses_vectors and word_vectors is None:
        raise ValueError(f"`word_vectors` must be given for input_kind={input_kind!r}. Received: word_vectors=None")
    if input_kind == "scratch" and not (isinstance(vocabulary_size, int) and vocabulary_size > 2):
        raise ValueError(f"`vocabulary_size` must be an int above 2 for scratch embeddings. Received: vocabulary_size={vocabulary_size!r}")
    initializers = keras.initializers
    word_ids = keras.Input((None,), dtype="int32", name="word_ids")
    inputs = {"word_ids": word_ids}
    mask = ops.not_equal(word_ids, 0)
    parts = []
    if input_kind == "scratch":
        embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, embeddings_initializer=initializers.RandomUniform(-0.05, 0.05, seed=seed),
            name="word_embedding",
        )
        parts.append(embedding(word_ids))
    if uses_vectors:
        word_vectors = np.asarray(word_vectors, dtype="float32")
        frozen = keras.layers.Embedding(
            word_vectors.shape[0], word_vectors.shape[1], embeddings_initializer=initializers.Constant(word_vectors),
            trainable=False, name="word_vectors",
        )
        parts.append(frozen(word_ids))
    if input_kind.startswith("elmo"):
        elmo = keras.Input((None, elmo_layers, elmo_dim), dtype="float32", name="elmo")
        inputs["elmo"] = elmo
        layers = elmo
        if elmo_mean is not None or elmo_variance is not None:
            if elmo_mean is None or elmo_variance is None:
                raise ValueError("`elmo_mean` and `elmo_variance` must be given together. Received only one of them")
            layers = keras.layers.Normalization(
                axis=(-2, -1), mean=np.asarray(elmo_mean, "float32"), variance=np.asarray(elmo_variance, "float32"),
                name="elmo_standardization",
            )(elmo)
        mix = ScalarMix(name="scalar_mix")
        parts.insert(0, mix([layers[:, :, j, :] for j in range(elmo_layers)]))
    x = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
    x = keras.layers.Dropout(dropout, seed=seed)(x)
    lstm = keras.layers.LSTM(
        lstm_units, return_sequences=True, kernel_initializer=initializers.GlorotUniform(seed=seed),
        recurrent_initializer=initializers.Orthogonal(seed=seed + 1),
    )
    x = keras.layers.Bidirectional(lstm, name="bilstm")(x, mask=mask)
    x = keras.layers.Dropout(dropout, seed=seed + 2)(x)
    outputs = {
        "punctuation": keras.layers.Dense(
            len(PUNCTUATION), activation="softmax", kernel_initializer=initializers.GlorotUniform(seed=seed + 3),
            name="punctuation",
        )(x),
        "capital": keras.layers.Dense(
            2, activation="softmax", kernel_initializer=initializers.GlorotUniform(seed=seed + 4), name="capital"
        )(x),
    }
    return keras.Model(inputs, outputs, name=f"tagger_{input_kind.replace('+', '_')}")


def tag_sample_weights(word_ids):
    """1.0 at real words, 0.0 at padding: `(batch, time)` float32 NumPy."""
    return (np.asarray(word_ids) != 0).astype("float32")


def mixing_weights(tagger):
    """`{"weights": s = softmax(w), "gamma": γ}` of an ELMo tagger's `ScalarMix`, as lists of floats."""
    mix = tagger.get_layer("scalar_mix")
    return {
        "weights": [float(w) for w in mix.mixing_weights()],
        "gamma": float(ops.convert_to_numpy(mix.gamma)),
    }
