"""Pieces shared by the encoder and decoder blocks."""

import keras

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


def sublayer_layers(block, name, shape):
    """The layer norm and dropout of one residual sublayer, built for `shape`."""
    norm = keras.layers.LayerNormalization(
        epsilon=block.layer_norm_epsilon, center=block.use_bias, name=f"{name}_norm", dtype=block.dtype_policy
    )
    norm.build(shape)
    dropout = keras.layers.Dropout(block.dropout, name=f"{name}_dropout", dtype=block.dtype_policy)
    return norm, dropout


def residual(block, x, norm, dropout, fn, training):
    """Wraps `fn` in its residual connection and returns (output, extras).

    Post-LN (the paper): LayerNorm(x + Dropout(f(x))).
    Pre-LN (GPT-2, nanoGPT): x + Dropout(f(LayerNorm(x))).
    `fn` maps the (maybe normalised) input to (output, extras); extras pass through.
    """
    inner = norm(x) if block.normalize_first else x
    output, extras = fn(inner)
    output = x + dropout(output, training=training)
    if not block.normalize_first:
        output = norm(output)
    return output, extras


def feed_forward(block, width):
    """The position-wise network: Dense(intermediate, activation) then Dense(width)."""
    intermediate = keras.layers.Dense(
        block.intermediate_dim,
        activation=block.activation,
        use_bias=block.use_bias,
        kernel_initializer=block.kernel_initializer,
        name="feedforward_intermediate",
        dtype=block.dtype_policy,
    )
    output = keras.layers.Dense(
        width,
        use_bias=block.use_bias,
        kernel_initializer=block.output_kernel_initializer,
        name="feedforward_output",
        dtype=block.dtype_policy,
    )
    return intermediate, output


def common_config(block):
    return {
        "num_heads": block.num_heads,
        "intermediate_dim": block.intermediate_dim,
        "dropout": block.dropout,
        "activation": keras.activations.serialize(block.activation),
        "normalize_first": block.normalize_first,
        "layer_norm_epsilon": block.layer_norm_epsilon,
        "use_bias": block.use_bias,
        "kernel_initializer": keras.initializers.serialize(block.kernel_initializer),
        "output_kernel_initializer": keras.initializers.serialize(block.output_kernel_initializer),
    }


def init_common(block, num_heads, intermediate_dim, dropout, activation, normalize_first,
                layer_norm_epsilon, use_bias, kernel_initializer, output_kernel_initializer):
    check_integer("num_heads", num_heads, minimum=1)
    check_integer("intermediate_dim", intermediate_dim, minimum=1)
    check_rate("dropout", dropout)
    check_positive("layer_norm_epsilon", layer_norm_epsilon)
    block.num_heads = num_heads
    block.intermediate_dim = intermediate_dim
    block.dropout = dropout
    block.activation = keras.activations.get(activation)
    block.normalize_first = normalize_first
    block.layer_norm_epsilon = layer_norm_epsilon
    block.use_bias = use_bias
    block.kernel_initializer = keras.initializers.get(kernel_initializer)
    block.output_kernel_initializer = keras.initializers.get(
        output_kernel_initializer if output_kernel_initializer is not None else kernel_initializer
    )
