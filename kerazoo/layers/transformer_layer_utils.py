"""Pieces shared by the encoder and decoder blocks."""

import keras


def check_block_args(num_heads, intermediate_dim, dropout, layer_norm_epsilon):
    if int(num_heads) != num_heads or num_heads < 1:
        raise ValueError(f"`num_heads` must be an integer >= 1. Received: num_heads={num_heads}")
    if int(intermediate_dim) != intermediate_dim or intermediate_dim < 1:
        raise ValueError(
            f"`intermediate_dim` must be an integer >= 1. Received: intermediate_dim={intermediate_dim}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
    if not layer_norm_epsilon > 0:
        raise ValueError(f"`layer_norm_epsilon` must be > 0. Received: layer_norm_epsilon={layer_norm_epsilon}")


def head_width(width, num_heads):
    if width % num_heads:
        raise ValueError(
            f"The model width must be divisible by `num_heads`. Received: width={width}, num_heads={num_heads}"
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
    check_block_args(num_heads, intermediate_dim, dropout, layer_norm_epsilon)
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
