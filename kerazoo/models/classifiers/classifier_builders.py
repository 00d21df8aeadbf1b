"""Sentence classifiers for transfer experiments: a bag of words, averaged word vectors, and a head on ELMo layers.

All three are plain functional `keras.Model`s of registered layers and take
padded token ids (0 is padding) or, for ELMo, the biLM's layers averaged
over each sentence's tokens.
"""

import keras

from kerazoo.layers.scalar_mix import ScalarMix


def build_bag_of_words_classifier(vocabulary_size, num_classes, name="bag_of_words"):
    """Multinomial logistic regression on a sentence's word frequencies.

    logits = W · tf, where tf is the sentence's bag of words divided by its
    length (padding ignored). The frequencies sum to 1, so a class bias is
    already part of W.

    Args:
        vocabulary_size: int. Token ids lie in [0, vocabulary_size); 0 is padding.
        num_classes: int.
    """
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    weights = keras.layers.Embedding(vocabulary_size, num_classes, mask_zero=True, name="class_weights")(token_ids)
    logits = keras.layers.GlobalAveragePooling1D(name="frequency_weighted_sum")(weights)
    return keras.Model(token_ids, logits, name=name)


def build_averaged_embedding_classifier(
    vocabulary_size, num_classes, embedding_dim=128, hidden_dim=128, dropout=0.2, embeddings=None,
    name="averaged_embeddings",
):
    """The mean of a sentence's word vectors, then a small MLP (Iyyer et al. 2015; fastText with a hidden layer).

    Args:
        vocabulary_size: int. 0 is padding.
        num_classes: int.
        embedding_dim: int. Ignored when `embeddings` is given.
        hidden_dim: int.
        dropout: float.
        embeddings: float array `(vocabulary_size, dim)` or None. Pretrained
            vectors (word2vec), kept frozen; None learns the vectors with the task.
    """
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    if embeddings is not None:
        embedding = keras.layers.Embedding(
            vocabulary_size, embeddings.shape[1], mask_zero=True, trainable=False,
            embeddings_initializer=keras.initializers.Constant(embeddings), name="word_vectors",
        )
    else:
        embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, mask_zero=True, name="word_vectors")
    x = keras.layers.GlobalAveragePooling1D(name="average")(embedding(token_ids))
    x = keras.layers.Dense(hidden_dim, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(token_ids, keras.layers.Dense(num_classes, name="logits")(x), name=name)


def build_scalar_mix_classifier(
    layer_names, width, num_classes, hidden_dim=128, dropout=0.2, standardize=True, name="elmo_scalar_mix"
):
    """A trained `ScalarMix` over a frozen biLM's layers, then a small MLP: ELMo used as features.

    Each input is one biLM layer averaged over the sentence's tokens. Mixing
    and averaging are both linear, so mixing the averaged layers equals
    averaging the `elmo` vectors of the mix: this is "frozen ELMo, trained
    scalar mix, mean over tokens, small head", computed once per sentence.

    With `standardize`, each layer first goes through a
    `keras.layers.Normalization` (adapt it to the training features with
    `adapt_standardization`): the averaged layers of a small biLM share a
    large constant part and differ from line to line by a few hundredths,
    which an MLP trained with Adam barely sees. Standardizing is affine per
    feature, so it too commutes with the average.

    Args:
        layer_names: list of str, the input names (`ElmoEmbedder.layer_names`).
        width: int. Each layer's width (2 · projection_dim).
        num_classes: int.
        hidden_dim: int.
        dropout: float.
        standardize: bool. Standardize each layer's features first.
    """
    inputs = {layer: keras.Input((width,), name=layer) for layer in layer_names}
    layers = [inputs[layer] for layer in layer_names]
    if standardize:
        layers = [keras.layers.Normalization(name=f"standardize_{layer}")(x) for layer, x in zip(layer_names, layers)]
    x = ScalarMix(name="scalar_mix")(layers)
    x = keras.layers.Dense(hidden_dim, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, name="logits")(x), name=name)


def build_embedding_and_elmo_classifier(
    vocabulary_size, num_classes, layer_names, width, embedding_dim=128, hidden_dim=128, dropout=0.2,
    name="averaged_embeddings_and_elmo",
):
    """Averaged learned word vectors beside a standardized scalar mix of ELMo layers, then a small MLP.

    This is how Peters et al. (2018, section 3.3) use ELMo: concatenated with a
    task model's own context-independent word vectors, [x_k; ELMo_k], here
    averaged over the sentence. The inputs are `token_ids` and the averaged
    layers named by `layer_names`; call `adapt_standardization` first.
    """
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    inputs = {layer: keras.Input((width,), name=layer) for layer in layer_names}
    words = keras.layers.Embedding(vocabulary_size, embedding_dim, mask_zero=True, name="word_vectors")(token_ids)
    words = keras.layers.GlobalAveragePooling1D(name="average")(words)
    layers = [keras.layers.Normalization(name=f"standardize_{layer}")(inputs[layer]) for layer in layer_names]
    x = keras.layers.Concatenate(name="words_and_elmo")([words, ScalarMix(name="scalar_mix")(layers)])
    x = keras.layers.Dense(hidden_dim, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model({"token_ids": token_ids, **inputs}, logits, name=name)


def adapt_standardization(model, features):
    """Sets each `standardize_<layer>` of a scalar-mix classifier to the mean and variance of `features[layer]`."""
    for layer, values in features.items():
        model.get_layer(f"standardize_{layer}").adapt(values)
