import numpy as np
import pytest
from keras import ops

from kerazoo.layers import PositionEmbedding
from kerazoo.layers import SinusoidalPositionEncoding


def numpy_sinusoid(length, width, start=0):
    encoding = np.zeros((length, width))
    for pos in range(length):
        for i in range(width // 2):
            angle = (pos + start) / 10000 ** (2 * i / width)
            encoding[pos, 2 * i] = np.sin(angle)
            encoding[pos, 2 * i + 1] = np.cos(angle)
    return encoding


def test_sinusoidal_encoding_equals_the_papers_formula():
    x = np.zeros((2, 7, 8), "float32")
    got = ops.convert_to_numpy(SinusoidalPositionEncoding()(x))
    np.testing.assert_allclose(got[0], numpy_sinusoid(7, 8), atol=1e-5)
    np.testing.assert_allclose(got[1], got[0])


def test_sinusoidal_encoding_offset_is_the_later_rows():
    x = np.zeros((1, 3, 6), "float32")
    got = ops.convert_to_numpy(SinusoidalPositionEncoding()(x, start_index=4))
    np.testing.assert_allclose(got[0], numpy_sinusoid(7, 6)[4:], atol=1e-5)


def test_learned_position_embedding_reads_its_table_from_the_start_index():
    layer = PositionEmbedding(10)
    x = np.zeros((2, 3, 4), "float32")
    layer(x)
    table = ops.convert_to_numpy(layer.position_embeddings)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x, start_index=5))[1], table[5:8])


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="sequence_length=0"):
        PositionEmbedding(0)
    with pytest.raises(ValueError, match="max_wavelength=1"):
        SinusoidalPositionEncoding(max_wavelength=1)
