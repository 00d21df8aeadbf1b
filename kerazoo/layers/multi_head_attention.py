import math

import keras
from keras import ops

from kerazoo.layers.kv_cache import update_cache
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_rate


def _large_negative(dtype):
    # Finite, so a row whose keys are all masked gives uniform weights, not NaN.
    return -1e9 if dtype in ("float32", "float64") else -3e4


def causal_mask(query_length, key_length, start_index=0):
    """Boolean `(query_length, key_length)`: query t (at position start_index + t) sees keys <= it."""
    query_positions = ops.arange(query_length) + start_index
    key_positions = ops.arange(key_length)
    return ops.expand_dims(query_positions, 1) >= ops.expand_dims(key_positions, 0)


def merge_masks(query_length, key_length, attention_mask=None, padding_mask=None,
                use_causal_mask=False, start_index=0):
    """Combines the three kinds of mask into one boolean `(batch or 1, query, key)`, or None.

    `attention_mask` is `(batch, query, key)`, `padding_mask` is `(batch, key)`;
    True means "may attend", as in `keras.ops.dot_product_attention`.
    """
    mask = None

    def conjoin(a, b):
        return b if a is None else ops.logical_and(a, b)

    if attention_mask is not None:
        mask = conjoin(mask, ops.cast(attention_mask, "bool"))
    if padding_mask is not None:
        mask = conjoin(mask, ops.expand_dims(ops.cast(padding_mask, "bool"), 1))
    if use_causal_mask:
        mask = conjoin(mask, ops.expand_dims(causal_mask(query_length, key_length, start_index), 0))
    return mask


def kernel_initializers(kernel_initializer, output_kernel_initializer=None):
    """The initializers of the kernels that read the residual stream and of those that write into it.

    The second is the first unless given: GPT-2 starts the writing kernels
    (W^O and the second feed-forward layer) smaller, by 1 / sqrt(2 * layers).
    """
    output = output_kernel_initializer if output_kernel_initializer is not None else kernel_initializer
    return keras.initializers.get(kernel_initializer), keras.initializers.get(output)


def with_optional_outputs(output, *optional):
    """`output` alone, or `(output, *optional)` without the entries that are None.

    An attention layer or block returns its weights only when asked for them,
    and a cache only when it was given one: the caller passes None for the others.
    """
    present = [item for item in optional if item is not None]
    return (output, *present) if present else output


@keras.saving.register_keras_serializable(package="kerazoo")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head scaled dot-product attention with masks, weights on request, and a key/value cache.

    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O, where
    head_i = softmax(Q W_i^Q (K W_i^K)^T / sqrt(d_k)) V W_i^V.

    Without dropout and without returned weights the product goes through
    `keras.ops.dot_product_attention`, which picks a fused (flash) kernel on
    GPU where the backend has one. Dropout on the attention weights, or
    returning them, takes the explicit form; the masks are applied the same
    way in both, so dropout can never drop the causal mask.

    Args:
        num_heads: int. The number of heads h.
        key_dim: int. The width of each query/key head, d_k.
        value_dim: int or None. The width of each value head, d_v; None is `key_dim`.
        dropout: float in [0, 1). Dropout on the attention weights while training.
        use_bias: bool. Biases on the four projections.
        output_dim: int or None. The output width; None is the query's width.
        kernel_initializer: initializer of the Q, K, V projections.
        output_kernel_initializer: initializer of W^O; None is `kernel_initializer`.
        flash_attention: bool or None, passed to `keras.ops.dot_product_attention`.

    Call arguments:
        query: float tensor `(batch, T, width)`.
        value: float tensor `(batch, S, width)` or None for self-attention.
        attention_mask: bool `(batch, T, S)`, True where a query may see a key.
        padding_mask: bool or int `(batch, S)`, True (or 1) at real keys.
        use_causal_mask: bool. Query t sees keys at positions <= its own.
        cache: float tensor `(batch, 2, max_length, heads, key_dim)` of keys and
            values for incremental self-attention, or None.
        cache_update_index: int32 scalar. The position of the first query; its
            keys and values are written into the cache there.
        return_attention_scores: bool. Also return the weights `(batch, heads, T, S)`.
        training: bool.

    Returns:
        The output `(batch, T, output_dim)`, followed by the weights when asked
        for, followed by the updated cache when one was given.

    Example:

    >>> x = np.random.rand(2, 5, 16).astype("float32")
    >>> layer = MultiHeadAttention(num_heads=4, key_dim=4)
    >>> layer(x, use_causal_mask=True).shape
    (2, 5, 16)

    Reference:
        Vaswani et al., "Attention Is All You Need", 2017, section 3.2.
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_dim=None,
        kernel_initializer="glorot_uniform",
        output_kernel_initializer=None,
        flash_attention=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_integer("num_heads", num_heads, minimum=1)
        check_integer("key_dim", key_dim, minimum=1)
        check_integer("value_dim", value_dim, minimum=1, allow_none=True)
        check_integer("output_dim", output_dim, minimum=1, allow_none=True)
        check_rate("dropout", dropout)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim
        self.dropout = dropout
        self.use_bias = use_bias
        self.output_dim = output_dim
        self.kernel_initializer, self.output_kernel_initializer = kernel_initializers(
            kernel_initializer, output_kernel_initializer
        )
        self.flash_attention = flash_attention
        self.dropout_layer = keras.layers.Dropout(dropout, name="attention_dropout")

    def _projection(self, name, heads_width, initializer):
        return keras.layers.EinsumDense(
            "btd,dhk->bthk",
            output_shape=(None, self.num_heads, heads_width),
            bias_axes="hk" if self.use_bias else None,
            kernel_initializer=initializer,
            name=name,
            dtype=self.dtype_policy,
        )

    def build(self, query_shape, value_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        value_dim = self.value_dim or self.key_dim
        output_dim = self.output_dim or query_shape[-1]
        self.query_dense = self._projection("query", self.key_dim, self.kernel_initializer)
        self.query_dense.build(query_shape)
        self.key_dense = self._projection("key", self.key_dim, self.kernel_initializer)
        self.key_dense.build(value_shape)
        self.value_dense = self._projection("value", value_dim, self.kernel_initializer)
        self.value_dense.build(value_shape)
        self.output_dense = keras.layers.EinsumDense(
            "bthk,hkd->btd",
            output_shape=(None, output_dim),
            bias_axes="d" if self.use_bias else None,
            kernel_initializer=self.output_kernel_initializer,
            name="attention_output",
            dtype=self.dtype_policy,
        )
        self.output_dense.build((query_shape[0], query_shape[1], self.num_heads, value_dim))

    def call(
        self,
        query,
        value=None,
        attention_mask=None,
        padding_mask=None,
        use_causal_mask=False,
        cache=None,
        cache_update_index=None,
        return_attention_scores=False,
        training=None,
    ):
        value = query if value is None else value
        q = self.query_dense(query)
        k = self.key_dense(value)
        v = self.value_dense(value)
        start_index = 0
        if cache is not None:
            if cache_update_index is None:
                raise ValueError("`cache_update_index` is required with `cache`.")
            start_index = cache_update_index
            k, v, cache = update_cache(cache, k, v, cache_update_index)
            # The unwritten end of the cache lies in the future: the causal mask hides it.
            use_causal_mask = True
        query_length, key_length = ops.shape(q)[1], ops.shape(k)[1]
        scale = 1.0 / math.sqrt(self.key_dim)
        explicit = return_attention_scores or (training and self.dropout > 0)
        only_causal = use_causal_mask and cache is None and attention_mask is None and padding_mask is None
        if explicit or not only_causal:
            mask = merge_masks(
                query_length, key_length, attention_mask, padding_mask, use_causal_mask, start_index
            )
        else:
            mask = None
        weights = None
        if explicit:
            scores = ops.einsum("bthk,bshk->bhts", q, k)
            scores = ops.cast(scores, "float32") * scale
            if mask is not None:
                scores = ops.where(ops.expand_dims(mask, 1), scores, _large_negative("float32"))
            weights = ops.softmax(scores, axis=-1)
            dropped = self.dropout_layer(weights, training=training)
            attended = ops.einsum("bhts,bshk->bthk", ops.cast(dropped, v.dtype), v)
        else:
            attended = ops.dot_product_attention(
                q,
                k,
                v,
                mask=None if mask is None else ops.expand_dims(mask, 1),
                scale=scale,
                is_causal=only_causal,
                flash_attention=self.flash_attention,
            )
        return with_optional_outputs(self.output_dense(attended), weights if return_attention_scores else None, cache)

    def compute_output_shape(self, query_shape, value_shape=None):
        return tuple(query_shape[:-1]) + (self.output_dim or query_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "output_dim": self.output_dim,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "output_kernel_initializer": keras.initializers.serialize(self.output_kernel_initializer),
                "flash_attention": self.flash_attention,
            }
        )
        return config
