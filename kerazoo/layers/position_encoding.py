import keras
from keras import ops

from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number


@keras.saving.register_keras_serializable(package="kerazoo")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """The fixed sine/cosine position encoding of Vaswani et al. (2017), section 3.5.

    PE(pos, 2i) = sin(pos / max_wavelength^(2i / d_model)) and
    PE(pos, 2i + 1) = cos(pos / max_wavelength^(2i / d_model)).

    The layer returns the encoding, shaped like its input, for the caller to
    add to the token embeddings (as KerasHub's layer does). It has no weights,
    so it extends to any length.

    Args:
        max_wavelength: float. The base of the geometric wavelength progression;
            10000 in the paper.

    Call arguments:
        inputs: float tensor `(batch, time, d_model)`. Only its shape and dtype are read.
        start_index: int or int32 scalar. The position of the first step, for
            incremental decoding with a cache.

    Example:

    >>> x = np.zeros((1, 5, 8), "float32")
    >>> SinusoidalPositionEncoding()(x).shape
    (1, 5, 8)

    Reference:
        Vaswani et al., "Attention Is All You Need", 2017.
    """

    def __init__(self, max_wavelength=10000.0, **kwargs):
        super().__init__(**kwargs)
        check_number("max_wavelength", max_wavelength, minimum=1, exclusive_minimum=True)
        self.max_wavelength = max_wavelength

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        length, width = shape[-2], shape[-1]
        positions = ops.cast(ops.arange(length) + start_index, "float32")
        # Column c uses frequency index i = c // 2: even columns take sin, odd take cos.
        columns = ops.arange(width)
        exponents = ops.cast(2 * (columns // 2), "float32") / ops.cast(width, "float32")
        inverse_wavelengths = ops.power(float(self.max_wavelength), -exponents)
        angles = ops.expand_dims(positions, 1) * ops.expand_dims(inverse_wavelengths, 0)
        encoding = ops.where(ops.expand_dims(columns % 2 == 0, 0), ops.sin(angles), ops.cos(angles))
        return ops.broadcast_to(ops.cast(encoding, self.compute_dtype), shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength})
        return config


@keras.saving.register_keras_serializable(package="kerazoo")
class PositionEmbedding(keras.layers.Layer):
    """A learned position embedding, one trained vector per position (GPT-2, nanoGPT).

    Args:
        sequence_length: int. The most positions the layer can encode.
        initializer: initializer for the position table.

    Call arguments:
        inputs: float tensor `(batch, time, width)`. Only its shape is read.
        start_index: int or int32 scalar, the position of the first step.

    Returns:
        The embeddings of positions `start_index ... start_index + time - 1`,
        shaped like `inputs`.
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        check_integer("sequence_length", sequence_length, minimum=1)
        self.sequence_length = sequence_length
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, input_shape[-1]),
            initializer=self.initializer,
        )

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        table = ops.convert_to_tensor(self.position_embeddings)
        positions = ops.slice(table, (start_index, 0), (shape[-2], shape[-1]))
        return ops.broadcast_to(ops.cast(positions, self.compute_dtype), shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config
