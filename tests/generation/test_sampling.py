import numpy as np
import pytest
from keras import ops

from kerazoo.generation.sampling import bits_to_unit
from kerazoo.generation.sampling import check_sampling_args
from kerazoo.generation.sampling import hash_uniform
from kerazoo.generation.sampling import sample_next
from kerazoo.generation.sampling import top_k_filter
from kerazoo.generation.sampling import top_p_filter

LOGITS = np.log(np.array([[0.1, 0.2, 0.3, 0.4]], dtype="float32"))


def test_hash_uniform_is_in_the_open_unit_interval_and_deterministic():
    u = ops.convert_to_numpy(hash_uniform(3, 7, (64, 50)))
    assert u.min() > 0.0 and u.max() < 1.0
    np.testing.assert_array_equal(u, ops.convert_to_numpy(hash_uniform(3, 7, (64, 50))))
    assert not np.array_equal(u, ops.convert_to_numpy(hash_uniform(3, 8, (64, 50))))
    # Roughly uniform: mean 1/2, variance 1/12.
    assert abs(u.mean() - 0.5) < 0.02 and abs(u.var() - 1 / 12) < 0.01


def test_extreme_random_bits_stay_inside_the_unit_interval():
    # -1 is all 32 bits set, 0 none; both must map strictly inside (0, 1).
    u = ops.convert_to_numpy(bits_to_unit(np.array([-1, 0, 2**31 - 1, -(2**31)], dtype="int32")))
    assert (u > 0).all() and (u < 1).all()
    assert np.isfinite(-np.log(-np.log(u))).all()


def test_temperature_zero_is_greedy():
    draws = {int(ops.convert_to_numpy(sample_next(LOGITS, 0.0, 0, seed, 0))[0]) for seed in range(20)}
    assert draws == {3}


def test_samples_follow_the_softmax():
    # 4000 rows of the same logits: each row draws its own noise.
    draws = ops.convert_to_numpy(sample_next(np.repeat(LOGITS, 4000, axis=0), 1.0, 0, 0, 0))
    frequencies = np.bincount(draws, minlength=4) / len(draws)
    # Binomial standard error is under 0.008 here; 0.03 is nearly four of them.
    np.testing.assert_allclose(frequencies, [0.1, 0.2, 0.3, 0.4], atol=0.03)


def test_top_k_keeps_only_the_k_most_likely():
    draws = {int(ops.convert_to_numpy(sample_next(LOGITS, 1.0, 2, 0, step))[0]) for step in range(300)}
    assert draws == {2, 3}
    filtered = ops.convert_to_numpy(top_k_filter(LOGITS, 0))
    np.testing.assert_array_equal(filtered, LOGITS)  # 0 is off
    filtered = ops.convert_to_numpy(top_k_filter(LOGITS, 10))
    np.testing.assert_array_equal(filtered, LOGITS)  # k above the vocabulary is off too


def test_top_p_keeps_the_smallest_set_whose_mass_reaches_p():
    # Probabilities 0.4, 0.3, 0.2, 0.1: the top two hold 0.7, the top three 0.9.
    for p, kept in ((0.65, {2, 3}), (0.7, {2, 3}), (0.71, {1, 2, 3}), (0.3, {3}), (1.0, {0, 1, 2, 3})):
        filtered = ops.convert_to_numpy(top_p_filter(LOGITS, p))[0]
        assert set(np.flatnonzero(np.isfinite(filtered))) == kept, p
    # p = 0.69, not 0.7: the top two's float32 sum sits on 0.7 itself, and which side of it a batched
    # softmax lands on is rounding, not the rule under test.
    draws = ops.convert_to_numpy(sample_next(np.repeat(LOGITS, 4000, axis=0), 1.0, 0, 0, 0, top_p=0.69))
    # Renormalised over the nucleus: 0.3/0.7 and 0.4/0.7.
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 4000, [0, 0, 3 / 7, 4 / 7], atol=0.03)


def test_top_p_measures_the_tempered_distribution():
    # At temperature 0.25 the top token holds 0.4^4 / sum(p^4) = 0.71 of the mass on its own.
    draws = {int(ops.convert_to_numpy(sample_next(LOGITS, 0.25, 0, 0, step, top_p=0.7))[0]) for step in range(200)}
    assert draws == {3}


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"temperature": -1.0}, "temperature"),
        ({"top_k": -2}, "top_k"),
        ({"max_length": 0}, "max_length"),
        ({"max_length": 10**6}, "max_length"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
    ],
)
def test_bad_sampling_arguments(kwargs, name):
    args = {"temperature": 1.0, "top_k": 0, "max_length": 10, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}="):
        check_sampling_args(**args)
