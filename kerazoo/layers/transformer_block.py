"""What the encoder and decoder blocks share: arguments, sublayers and their residual connections."""

import keras

from kerazoo.layers.multi_head_attention import MultiHeadAttention
from kerazoo.layers.multi_head_attention import kernel_initializers
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_positive
from kerazoo.utils.arguments import check_rate


def head_width(width, num_heads, width_name="width"):
    """The width of one attention head: `width` split into `num_heads` equal parts."""
    check_integer(width_name, width, minimum=1)
    check_integer("num_heads", num_heads, minimum=1)
    if width % num_heads:
        raise ValueError(
            f"`{width_name}` must be divisible by `num_heads`. Received: {width_name}={width}, num_heads={num_heads}"
        )
    return width // num_heads


class TransformerBlock(keras.layers.Layer):
    """The base of `TransformerEncoderBlock` and `TransformerDecoderBlock`.

    A block is a sequence of sublayers, attention or the position-wise
    feed-forward network, each inside a residual connection with dropout and
    layer normalisation:

        post-LN (the paper):     LayerNorm(x + Dropout(f(x)))
        pre-LN (GPT-2, nanoGPT): x + Dropout(f(LayerNorm(x)))

    A sublayer called `name` keeps its parts in the attributes `name`,
    `name_norm` and `name_dropout`, which are also their layer names, so the
    weights of both blocks are saved and found under the same paths.

    Args:
        num_heads: int. Attention heads; the input width must divide by it.
        intermediate_dim: int. The feed-forward hidden width, d_ff.
        dropout: float. Dropout on attention weights and on each sublayer's output.
        activation: the feed-forward activation ("relu" in the paper, "gelu" in GPT).
        normalize_first: bool. Pre-LN when True, post-LN when False.
        layer_norm_epsilon: float.
        use_bias: bool. Biases in the dense layers and layer norms.
        kernel_initializer: initializer of the dense kernels.
        output_kernel_initializer: initializer of the kernels that write into the
            residual stream (W^O and the second feed-forward layer); None is
            `kernel_initializer`.

    Reference:
        Vaswani et al., "Attention Is All You Need", 2017, section 3.1;
        Xiong et al., "On Layer Normalization in the Transformer Architecture", 2020.
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="relu",
        normalize_first=False,
        layer_norm_epsilon=1e-5,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        output_kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_integer("num_heads", num_heads, minimum=1)
        check_integer("intermediate_dim", intermediate_dim, minimum=1)
        check_rate("dropout", dropout)
        check_positive("layer_norm_epsilon", layer_norm_epsilon)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.activation = keras.activations.get(activation)
        self.normalize_first = normalize_first
        self.layer_norm_epsilon = layer_norm_epsilon
        self.use_bias = use_bias
        self.kernel_initializer, self.output_kernel_initializer = kernel_initializers(
            kernel_initializer, output_kernel_initializer
        )

    def _build_norm_and_dropout(self, name, shape):
        norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, center=self.use_bias, name=f"{name}_norm", dtype=self.dtype_policy
        )
        norm.build(shape)
        setattr(self, f"{name}_norm", norm)
        setattr(self, f"{name}_dropout", keras.layers.Dropout(self.dropout, name=f"{name}_dropout", dtype=self.dtype_policy))

    def _build_attention(self, name, query_shape, value_shape=None):
        """Creates and builds the attention sublayer `name` (self-attention without `value_shape`)."""
        attention = MultiHeadAttention(
            self.num_heads,
            head_width(query_shape[-1], self.num_heads),
            dropout=self.dropout,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            output_kernel_initializer=self.output_kernel_initializer,
            name=name,
            dtype=self.dtype_policy,
        )
        setattr(self, name, attention)
        attention.build(query_shape, value_shape)
        self._build_norm_and_dropout(name, query_shape)

    def _build_feedforward(self, shape):
        """Creates and builds the position-wise network: Dense(intermediate, activation), then Dense(width)."""
        self.feedforward_intermediate = keras.layers.Dense(
            self.intermediate_dim,
            activation=self.activation,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            name="feedforward_intermediate",
            dtype=self.dtype_policy,
        )
        self.feedforward_output = keras.layers.Dense(
            shape[-1],
            use_bias=self.use_bias,
            kernel_initializer=self.output_kernel_initializer,
            name="feedforward_output",
            dtype=self.dtype_policy,
        )
        self.feedforward_intermediate.build(shape)
        self.feedforward_output.build(tuple(shape[:-1]) + (self.intermediate_dim,))
        self._build_norm_and_dropout("feedforward", shape)

    def _residual(self, name, x, fn, training):
        """Wraps `fn` (input -> (output, extras)) in the residual connection of sublayer `name`."""
        norm = getattr(self, f"{name}_norm")
        output, extras = fn(norm(x) if self.normalize_first else x)
        output = x + getattr(self, f"{name}_dropout")(output, training=training)
        if not self.normalize_first:
            output = norm(output)
        return output, extras

    def _attention_sublayer(self, name, x, training, return_attention_scores=False, cache=None, **attention_kwargs):
        """Attention `name` in its residual connection.

        `attention_kwargs` go to `MultiHeadAttention` (`value`, the masks,
        `cache_update_index`). Returns (output, the weights or None, the
        updated cache or None).
        """

        def attend(h):
            out = getattr(self, name)(
                h, cache=cache, return_attention_scores=return_attention_scores, training=training, **attention_kwargs
            )
            return (out[0], list(out[1:])) if isinstance(out, tuple) else (out, [])

        output, extras = self._residual(name, x, attend, training)
        scores = extras.pop(0) if return_attention_scores else None
        return output, scores, (extras.pop(0) if cache is not None else None)

    def _feedforward_sublayer(self, x, training):
        def feedforward(h):
            return self.feedforward_output(self.feedforward_intermediate(h)), None

        return self._residual("feedforward", x, feedforward, training)[0]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "dropout": self.dropout,
                "activation": keras.activations.serialize(self.activation),
                "normalize_first": self.normalize_first,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "output_kernel_initializer": keras.initializers.serialize(self.output_kernel_initializer),
            }
        )
        return config
