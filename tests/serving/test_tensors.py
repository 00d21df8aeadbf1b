"""The conversion of JSON numbers to input arrays: the vector path agrees with the leaf-by-leaf check it skips."""

import math

import numpy as np
import pytest

from kerazoo.serving import tensors
from kerazoo.serving.errors import ServingError
from kerazoo.serving.tensors import to_array


def leaf_by_leaf(leaves, dtype):
    """What every leaf gives through `_number_leaf` alone, the reference the vector path must equal."""
    return np.asarray([tensors._number_leaf(leaf, "x", dtype) for leaf in leaves], dtype=tensors._NUMERIC[dtype][0])


VALID = [
    ("int32", [1, 2, 3, -7, 2**31 - 1, -(2**31)]),
    ("int64", [2**63 - 1, -(2**63), 0]),
    ("int8", [127, -128]),
    ("uint8", [0, 255]),
    ("int32", [3.0, 4, -2.0]),  # integral floats for an integer input: accepted, leaf by leaf
    ("float32", [0.5, -1, 3.4e38, 1e-45]),
    ("float32", [float(np.finfo(np.float32).max), -1.0]),  # the largest value itself, through the leaf loop
    ("float64", [1.7e308, -2, 0.1]),
    ("bool", [True, False]),
    ("int32", []),
]


@pytest.mark.parametrize("dtype,leaves", VALID, ids=[f"{d}-{i}" for i, (d, _) in enumerate(VALID)])
def test_valid_numbers_equal_the_leaf_by_leaf_conversion(dtype, leaves):
    got = tensors._numbers(leaves, "x", dtype)
    want = leaf_by_leaf(leaves, dtype)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


INVALID = [
    ("int32", [1, 2, 2**31], "must fit in int32"),
    ("int32", [1, 2, 2**70], "must fit in int32"),
    ("uint8", [3, -1], "must fit in uint8"),
    ("int8", [5, 128], "must fit in int8"),
    ("int32", [1, 1.5], "must hold integers"),
    ("int32", [1, True], "must hold numbers"),
    ("int32", [1, "2"], "must hold numbers"),
    ("int32", [1, None], "must hold numbers"),
    ("float32", [1.0, math.nan], "finite numbers"),
    ("float32", [1.0, -math.inf], "finite numbers"),
    ("float32", [1.0, 1e39], "must fit in float32"),
    ("float64", [1.0, 10**400], "must fit in float64"),
    # Integers just past the largest float round down to it in float64; the exact check refuses them.
    ("float32", [int(float(np.finfo(np.float32).max)) + 1], "must fit in float32"),
    ("float64", [int(np.finfo(np.float64).max) + 2**969], "must fit in float64"),
    ("float32", [1.0, [2.0]], "must hold numbers"),
    ("bool", [True, 1], "must hold true or false"),
]


@pytest.mark.parametrize("dtype,leaves,message", INVALID, ids=[f"{d}-{i}" for i, (d, _, _) in enumerate(INVALID)])
def test_a_bad_leaf_gets_the_leaf_by_leaf_message(dtype, leaves, message):
    with pytest.raises(ServingError) as vector:
        tensors._numbers(leaves, "x", dtype)
    with pytest.raises(ServingError) as reference:
        leaf_by_leaf(leaves, dtype)
    assert vector.value.message == reference.value.message
    assert message in vector.value.message


def test_to_array_gives_the_signature_dtype_and_shape():
    array = to_array([[1, 2, 3], [4, 5, 6]], "int32", [None, 3], "token_ids")
    assert array.dtype == np.int32 and array.shape == (2, 3)
    np.testing.assert_array_equal(array, [[1, 2, 3], [4, 5, 6]])
