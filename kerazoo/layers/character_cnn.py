import keras
from keras import ops

from kerazoo.utils.arguments import check_integer


@keras.saving.register_keras_serializable(package="kerazoo")
class CharacterCNN(keras.layers.Layer):
    """A word encoder from its characters: embed, convolve at several widths, max-pool over time.

    For each width w with n filters: y = act(max_t (conv_w(E[c])_t + b)), a
    vector of n features per token; the vectors of all widths are
    concatenated. The pooling runs over every position of the token's
    character row, padding included, as in ELMo, so the result depends only on
    the token's own characters and never on its neighbours.

    Args:
        filters: list of `(width, count)` pairs, one convolution each. ELMo's
            full model uses ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256),
            (6, 512), (7, 1024)), 2048 features.
        character_vocabulary_size: int. Character ids lie in [0, this); 261 for
            `kerazoo.data.characters` ids.
        embedding_dim: int. The width of each character embedding (16 in ELMo).
        activation: str or callable, applied after the max-pool (ELMo: relu).
        embeddings_initializer: initializer of the character embeddings.
            ELMo's uniform(−1, 1) by default: with Keras's usual ±0.05 every
            token starts with almost the same features, and the shared
            padding positions win the max-pool.
        kernel_initializer: initializer of the convolutions; ELMo's
            N(0, 1 / (width · embedding_dim)) by default.

    Call arguments:
        inputs: int tensor `(..., max_characters)` of character ids.

    Returns:
        float tensor `(..., sum of counts)`.

    Example:

    >>> layer = CharacterCNN([(1, 4), (3, 8)], embedding_dim=4)
    >>> layer(np.zeros((2, 5, 50), "int32")).shape
    (2, 5, 12)

    Reference:
        Kim, Jernite, Sontag & Rush, "Character-Aware Neural Language Models",
        AAAI 2016; Peters et al., "Deep contextualized word representations",
        NAACL 2018, section 3.
    """

    def __init__(
        self,
        filters,
        character_vocabulary_size=261,
        embedding_dim=16,
        activation="relu",
        embeddings_initializer=None,
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        filters = [tuple(pair) for pair in filters]
        if not filters:
            raise ValueError(f"`filters` must hold at least one (width, count) pair. Received: filters={filters}")
        for pair in filters:
            if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
                raise ValueError(
                    f"`filters` must hold (width, count) pairs of integers >= 1. Received: filters={filters}"
                )
        check_integer("character_vocabulary_size", character_vocabulary_size, minimum=1)
        check_integer("embedding_dim", embedding_dim, minimum=1)
        self.filters = [[int(w), int(n)] for w, n in filters]
        self.character_vocabulary_size = character_vocabulary_size
        self.embedding_dim = embedding_dim
        self.activation = keras.activations.get(activation)
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer if embeddings_initializer is not None
            else keras.initializers.RandomUniform(-1.0, 1.0)
        )
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer if kernel_initializer is not None
            else keras.initializers.VarianceScaling(1.0, "fan_in", "untruncated_normal")
        )
        self.embedding = keras.layers.Embedding(
            character_vocabulary_size, embedding_dim, embeddings_initializer=self.embeddings_initializer,
            name="character_embedding", dtype=self.dtype_policy,
        )
        self.convolutions = [
            keras.layers.Conv1D(
                count, width, padding="valid", kernel_initializer=self.kernel_initializer,
                name=f"convolution_{width}", dtype=self.dtype_policy,
            )
            for width, count in self.filters
        ]

    @property
    def output_dim(self):
        return sum(count for _, count in self.filters)

    def build(self, input_shape):
        max_characters = input_shape[-1]
        widest = max(width for width, _ in self.filters)
        if max_characters is not None and widest > max_characters:
            raise ValueError(
                f"The widest filter ({widest}) must fit in the {max_characters} characters of a token. "
                f"Received: filters={self.filters}"
            )
        self.embedding.build(input_shape)
        for convolution in self.convolutions:
            convolution.build((None, max_characters, self.embedding_dim))

    def call(self, inputs):
        shape = ops.shape(inputs)
        # Every token is convolved on its own: fold the leading axes into one.
        characters = ops.reshape(inputs, (-1, shape[-1]))
        embedded = self.embedding(characters)
        pooled = [ops.max(convolution(embedded), axis=1) for convolution in self.convolutions]
        features = self.activation(ops.concatenate(pooled, axis=-1))
        return ops.reshape(features, tuple(shape[:-1]) + (self.output_dim,))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "character_vocabulary_size": self.character_vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "activation": keras.activations.serialize(self.activation),
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
