import numpy as np
import pytest
from keras import ops

from kerazoo.layers import CharacterCNN
from tests.test_case import randomize_weights


def numpy_character_cnn(characters, table, convolutions):
    """Embed, convolve (valid), max over positions, then relu: per token, by loops."""
    embedded = table[characters]  # (..., C, E)
    flat = embedded.reshape(-1, *embedded.shape[-2:])
    features = []
    for kernel, bias in convolutions:  # kernel (width, E, count)
        width = kernel.shape[0]
        windows = np.stack([flat[:, t : t + width] for t in range(flat.shape[1] - width + 1)], axis=1)
        out = np.einsum("ntwe,wec->ntc", windows, kernel) + bias
        features.append(out.max(axis=1))
    return np.maximum(np.concatenate(features, -1), 0.0).reshape(*characters.shape[:-1], -1)


def test_character_cnn_equals_convolution_and_max_pool_in_numpy():
    characters = np.random.default_rng(0).integers(0, 20, size=(2, 3, 9)).astype("int32")
    layer = CharacterCNN([(1, 3), (2, 4), (4, 5)], character_vocabulary_size=20, embedding_dim=6)
    layer(characters)
    randomize_weights(layer)
    got = ops.convert_to_numpy(layer(characters))
    table = ops.convert_to_numpy(layer.embedding.embeddings)
    convolutions = [(ops.convert_to_numpy(c.kernel), ops.convert_to_numpy(c.bias)) for c in layer.convolutions]
    assert got.shape == (2, 3, 12)
    np.testing.assert_allclose(got, numpy_character_cnn(characters, table, convolutions), atol=1e-5)


def test_a_token_depends_only_on_its_own_characters():
    rng = np.random.default_rng(1)
    characters = rng.integers(1, 30, size=(1, 4, 10)).astype("int32")
    layer = CharacterCNN([(2, 4), (3, 4)], character_vocabulary_size=30, embedding_dim=4)
    before = ops.convert_to_numpy(layer(characters))
    characters[0, 2] = rng.integers(1, 30, size=10)
    after = ops.convert_to_numpy(layer(characters))
    np.testing.assert_array_equal(np.delete(before, 2, axis=1), np.delete(after, 2, axis=1))
    assert np.abs(before[0, 2] - after[0, 2]).max() > 0


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="filters"):
        CharacterCNN([])
    with pytest.raises(ValueError, match="filters"):
        CharacterCNN([(0, 4)])
    with pytest.raises(ValueError, match="widest filter \\(7\\)"):
        CharacterCNN([(7, 2)])(np.zeros((1, 2, 5), "int32"))
