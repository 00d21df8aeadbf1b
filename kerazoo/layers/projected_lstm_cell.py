import keras
from keras import ops

from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_positive


@keras.saving.register_keras_serializable(package="kerazoo")
class ProjectedLSTMCell(keras.layers.Layer):
    """An LSTM cell with a recurrent projection (LSTMP), the cell of ELMo's biLM.

        [i, f, g, o] = x W + r_{t−1} U + b
        c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g),   clipped to ±cell_clip
        m_t = σ(o) ⊙ tanh(c_t)
        r_t = m_t P,                             clipped to ±projection_clip

    The cell has `units` memory cells but passes on, and feeds back, only the
    projection r_t of width `projection_dim`, which keeps the recurrent and
    the next layer's matrices small (ELMo: 4096 cells, 512 projections). Wrap
    it in `keras.layers.RNN` to run it over a sequence. The gate order and the
    forget-gate bias of 1 follow `keras.layers.LSTMCell`.

    Args:
        units: int. Memory cells.
        projection_dim: int. The width of r, the cell's output and recurrent state.
        cell_clip: float or None. Clip c to [−cell_clip, cell_clip] (ELMo: 3).
        projection_clip: float or None. Clip r likewise (ELMo: 3).
        kernel_initializer, recurrent_initializer, projection_initializer:
            initializers of W, U and P.
        unit_forget_bias: bool. Start the forget-gate bias at 1.

    Call arguments:
        inputs: float tensor `(batch, input_dim)`.
        states: list `[r (batch, projection_dim), c (batch, units)]`.
        training: bool.

    Returns:
        `(r_t, [r_t, c_t])`.

    Example:

    >>> layer = keras.layers.RNN(ProjectedLSTMCell(16, 4), return_sequences=True)
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)

    Reference:
        Sak, Senior & Beaufays, "Long Short-Term Memory Recurrent Neural Network
        Architectures for Large Scale Acoustic Modeling", Interspeech 2014;
        Jozefowicz et al., "Exploring the Limits of Language Modeling", 2016.
    """

    def __init__(
        self,
        units,
        projection_dim,
        cell_clip=None,
        projection_clip=None,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        projection_initializer="glorot_uniform",
        unit_forget_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_integer("units", units, minimum=1)
        check_integer("projection_dim", projection_dim, minimum=1)
        check_positive("cell_clip", cell_clip, allow_none=True)
        check_positive("projection_clip", projection_clip, allow_none=True)
        self.units = units
        self.projection_dim = projection_dim
        self.cell_clip = cell_clip
        self.projection_clip = projection_clip
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.projection_initializer = keras.initializers.get(projection_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [projection_dim, units]
        self.output_size = projection_dim

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel", shape=(input_dim, 4 * self.units), initializer=self.kernel_initializer
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.projection_dim, 4 * self.units), initializer=self.recurrent_initializer
        )
        units = self.units
        if self.unit_forget_bias:
            def bias_initializer(shape, dtype=None):
                return ops.concatenate(
                    [ops.zeros((units,), dtype), ops.ones((units,), dtype), ops.zeros((2 * units,), dtype)]
                )
        else:
            bias_initializer = "zeros"
        self.bias = self.add_weight(name="bias", shape=(4 * units,), initializer=bias_initializer)
        self.projection_kernel = self.add_weight(
            name="projection_kernel", shape=(units, self.projection_dim), initializer=self.projection_initializer
        )

    def call(self, inputs, states, training=False):
        r_previous, c_previous = states
        z = ops.matmul(inputs, self.kernel) + ops.matmul(r_previous, self.recurrent_kernel) + self.bias
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(f) * c_previous + ops.sigmoid(i) * ops.tanh(g)
        if self.cell_clip is not None:
            c = ops.clip(c, -self.cell_clip, self.cell_clip)
        m = ops.sigmoid(o) * ops.tanh(c)
        r = ops.matmul(m, self.projection_kernel)
        if self.projection_clip is not None:
            r = ops.clip(r, -self.projection_clip, self.projection_clip)
        return r, [r, c]

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, self.projection_dim), dtype=self.compute_dtype),
            ops.zeros((batch_size, self.units), dtype=self.compute_dtype),
        ]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "projection_dim": self.projection_dim,
                "cell_clip": self.cell_clip,
                "projection_clip": self.projection_clip,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "projection_initializer": keras.initializers.serialize(self.projection_initializer),
                "unit_forget_bias": self.unit_forget_bias,
            }
        )
        return config
