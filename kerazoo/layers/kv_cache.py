"""The key/value cache of incremental self-attention, for every stack of decoder blocks.

A decoder that generates one token at a time would recompute the keys and
values of every earlier position at each step. The cache keeps them: one
tensor

    (batch, num_layers, 2, max_length, num_heads, head_width)

holds the keys (index 0) and values (index 1) of every block, batch first so
that beam search reorders it like any other decoding state. Step t writes
its keys and values at position t and attends over positions <= t; the
unwritten end is hidden by the causal mask. The GPT and the encoder-decoder
Transformer both decode through these functions.
"""

from keras import ops


def empty_cache(blocks, batch_size, max_length, dtype):
    """Zeros for the keys and values of `blocks` (built decoder blocks), `max_length` positions each."""
    attention = blocks[0].self_attention
    return ops.zeros(
        (batch_size, len(blocks), 2, max_length, attention.num_heads, attention.key_dim),
        dtype=dtype,
    )


def update_cache(cache, keys, values, index):
    """Writes `keys` and `values` `(batch, T, heads, width)` of one block at positions index ... index + T - 1.

    `cache` is one block's `(batch, 2, max_length, heads, width)`. Returns
    (all keys, all values, the updated cache).
    """
    position = (0, index, 0, 0)
    keys = ops.slice_update(cache[:, 0, ...], position, ops.cast(keys, cache.dtype))
    values = ops.slice_update(cache[:, 1, ...], position, ops.cast(values, cache.dtype))
    return keys, values, ops.stack([keys, values], axis=1)


def call_with_cache(blocks, x, cache, cache_update_index, *args, **kwargs):
    """Runs `x` through `blocks` in order, block i reading and writing `cache[:, i]`.

    `args` and `kwargs` go to every block (the encoder output and its mask,
    for a decoder with cross-attention). Returns (output, the updated cache).
    """
    caches = []
    for i, block in enumerate(blocks):
        x, block_cache = block(
            x, *args, self_attention_cache=cache[:, i, ...], cache_update_index=cache_update_index, **kwargs
        )
        caches.append(block_cache)
    return x, ops.stack(caches, axis=1)
