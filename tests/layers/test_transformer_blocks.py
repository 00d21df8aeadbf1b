import numpy as np
import pytest
from keras import ops

from kerazoo.layers import TransformerDecoderBlock
from kerazoo.layers import TransformerEncoderBlock
from tests.test_case import randomize_weights
from tests.layers.test_multi_head_attention import numpy_attention


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(-1, keepdims=True) + eps) * gamma + beta


def weights_of(layer):
    return {v.path.split("/", 1)[1]: ops.convert_to_numpy(v) for v in layer.weights}


def numpy_encoder_block(block, x, normalize_first):
    w = weights_of(block)

    def sublayer(x, name, fn):
        norm = lambda h: layer_norm(h, w[f"{name}_norm/gamma"], w[f"{name}_norm/beta"])
        if normalize_first:
            return x + fn(norm(x))
        return norm(x + fn(x))

    mask = np.ones((x.shape[0], x.shape[1], x.shape[1]), bool)
    x = sublayer(x, "self_attention", lambda h: numpy_attention(block.self_attention, h, h, mask)[0])

    def ffn(h):
        hidden = np.maximum(h @ w["feedforward_intermediate/kernel"] + w["feedforward_intermediate/bias"], 0)
        return hidden @ w["feedforward_output/kernel"] + w["feedforward_output/bias"]

    return sublayer(x, "feedforward", ffn)


@pytest.mark.parametrize("normalize_first", [False, True])
def test_encoder_block_equals_numpy_in_both_norm_placements(normalize_first):
    x = np.random.default_rng(1).normal(size=(2, 5, 8)).astype("float32")
    block = TransformerEncoderBlock(num_heads=2, intermediate_dim=16, normalize_first=normalize_first)
    block(x)
    randomize_weights(block, scale=0.3)
    expected = numpy_encoder_block(block, x, normalize_first)
    np.testing.assert_allclose(ops.convert_to_numpy(block(x)), expected, atol=1e-4)


def test_decoder_block_without_encoder_is_causal_and_cacheable():
    x = np.random.default_rng(2).normal(size=(2, 6, 8)).astype("float32")
    block = TransformerDecoderBlock(num_heads=2, intermediate_dim=16, normalize_first=True)
    full = ops.convert_to_numpy(block(x))
    changed = x.copy()
    changed[:, 4:] += 1.0
    np.testing.assert_allclose(ops.convert_to_numpy(block(changed))[:, :4], full[:, :4], atol=1e-6)
    cache = np.zeros((2, 2, 6, 2, 4), "float32")
    steps = []
    for t in range(6):
        out, cache = block(x[:, t : t + 1], self_attention_cache=cache, cache_update_index=t)
        steps.append(ops.convert_to_numpy(out))
    np.testing.assert_allclose(np.concatenate(steps, 1), full, atol=1e-5)


def test_decoder_block_cross_attention_sees_only_real_encoder_tokens():
    rng = np.random.default_rng(3)
    decoder_x = rng.normal(size=(1, 3, 8)).astype("float32")
    encoder_x = rng.normal(size=(1, 4, 8)).astype("float32")
    block = TransformerDecoderBlock(num_heads=2, intermediate_dim=16)
    mask = np.array([[1, 1, 0, 0]], bool)
    out, scores = block(decoder_x, encoder_x, encoder_padding_mask=mask, return_attention_scores=True)
    assert np.all(ops.convert_to_numpy(scores["cross_attention"])[..., 2:] == 0)
    moved = encoder_x.copy()
    moved[:, 2:] = 5.0
    again = block(decoder_x, moved, encoder_padding_mask=mask)
    np.testing.assert_allclose(ops.convert_to_numpy(again), ops.convert_to_numpy(out), atol=1e-6)


def test_blocks_round_trip_through_their_config():
    for block in (TransformerEncoderBlock(2, 16, dropout=0.1, activation="gelu"), TransformerDecoderBlock(2, 16)):
        clone = block.__class__.from_config(block.get_config())
        assert clone.get_config() == block.get_config()


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="intermediate_dim=0"):
        TransformerEncoderBlock(2, 0)
    with pytest.raises(ValueError, match="num_heads=3"):
        TransformerEncoderBlock(3, 8)(np.zeros((1, 2, 8), "float32"))
