"""The shared key/value cache: decoding through it gives what the full stack gives."""

import numpy as np
import pytest
from keras import ops

from kerazoo.layers import TransformerDecoderBlock
from kerazoo.layers.kv_cache import call_with_cache
from kerazoo.layers.kv_cache import empty_cache
from kerazoo.layers.kv_cache import update_cache
from tests.test_case import randomize_weights


def test_empty_cache_takes_its_shape_from_the_blocks():
    blocks = [TransformerDecoderBlock(num_heads=2, intermediate_dim=8, name=f"block_{i}") for i in range(3)]
    for block in blocks:
        block.build((None, None, 12))
    cache = empty_cache(blocks, 4, 7, "float32")
    assert tuple(cache.shape) == (4, 3, 2, 7, 2, 6)
    assert not np.any(ops.convert_to_numpy(cache))


def test_update_cache_writes_a_block_of_positions_and_leaves_the_rest():
    cache = np.zeros((1, 2, 5, 1, 2), "float32")
    keys = np.full((1, 2, 1, 2), 1.0, "float32")
    values = np.full((1, 2, 1, 2), 2.0, "float32")
    all_keys, all_values, cache = (ops.convert_to_numpy(x) for x in update_cache(cache, keys, values, 2))
    assert all_keys[0, :, 0, 0].tolist() == [0, 0, 1, 1, 0]
    assert all_values[0, :, 0, 0].tolist() == [0, 0, 2, 2, 0]
    np.testing.assert_array_equal(cache[:, 0], all_keys)
    np.testing.assert_array_equal(cache[:, 1], all_values)


@pytest.mark.parametrize("with_encoder", [False, True])
def test_a_prefix_then_single_steps_through_the_cache_equal_the_full_stack(with_encoder):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    encoded = rng.normal(size=(2, 3, 8)).astype("float32")
    args = (encoded,) if with_encoder else ()
    blocks = [TransformerDecoderBlock(num_heads=2, intermediate_dim=16, name=f"block_{i}") for i in range(2)]
    for i, block in enumerate(blocks):
        block(x, *args)  # builds it
        randomize_weights(block, seed=i, scale=0.3)
    full = x
    for block in blocks:
        full = block(full, *args)
    cache = empty_cache(blocks, 2, 6, "float32")
    prefix, cache = call_with_cache(blocks, x[:, :3], cache, 0, *args)
    outputs = [ops.convert_to_numpy(prefix)]
    for t in range(3, 6):
        out, cache = call_with_cache(blocks, x[:, t : t + 1], cache, t, *args)
        outputs.append(ops.convert_to_numpy(out))
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), ops.convert_to_numpy(full), atol=1e-5)
