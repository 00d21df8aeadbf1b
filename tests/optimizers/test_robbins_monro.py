import keras
import pytest
from keras import ops

from kerazoo.optimizers import ConstantSchedule
from kerazoo.optimizers import EpochExponentialDecay
from kerazoo.optimizers import InverseSqrtDecay
from kerazoo.optimizers import TransformerSchedule
from kerazoo.optimizers import inverse_time_decay
from kerazoo.optimizers import robbins_monro
from kerazoo.optimizers import warmup_cosine_decay


def test_a_constant_rate_fails():
    for schedule in (ConstantSchedule(0.5), 0.5):
        report = robbins_monro(schedule)
        assert report.sum_diverges is True and report.sum_of_squares_converges is False
        assert report.satisfied is False and report.method == "exact"


def test_inverse_time_passes():
    report = robbins_monro(inverse_time_decay(0.5))  # α_0 / (1 + k)
    assert report.sum_diverges is True and report.sum_of_squares_converges is True
    assert report.satisfied is True and report.method == "exact"
    # Per epoch, or in steps of an epoch, it is still a 1/k tail.
    assert robbins_monro(inverse_time_decay(0.5, decay_steps=100, staircase=True)).satisfied is True


def test_inverse_sqrt_fails_the_sum_of_squares():
    report = robbins_monro(InverseSqrtDecay(0.5))  # α_0 / √(1 + k)
    assert report.sum_diverges is True and report.sum_of_squares_converges is False
    assert report.satisfied is False
    assert robbins_monro(TransformerSchedule()).sum_of_squares_converges is False


def test_schedules_whose_steps_sum_to_a_finite_total_fail():
    for schedule in (
        EpochExponentialDecay(1e-3, 10),  # geometric
        warmup_cosine_decay(1e-3, alpha=0.0),  # 0 after the decay
        keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.5),
    ):
        report = robbins_monro(schedule)
        assert report.sum_diverges is False and report.sum_of_squares_converges is True, schedule
    # nanoGPT's floor at min_lr is a constant tail.
    assert robbins_monro(warmup_cosine_decay(1e-3)).sum_of_squares_converges is False


class PowerLaw(keras.optimizers.schedules.LearningRateSchedule):
    """0.1 (1 + k)^-p: a schedule robbins_monro knows nothing about."""

    def __init__(self, p):
        self.p = p

    def __call__(self, step):
        return 0.1 * ops.power(1.0 + ops.cast(step, "float32"), -self.p)


@pytest.mark.parametrize(
    "p,diverges,squares_converge",
    [(0.3, True, False), (0.75, True, True), (2.0, False, True), (-0.2, True, False),
     (1.0, None, True), (0.5, True, None)],
)
def test_the_numerical_tail_test(p, diverges, squares_converge):
    report = robbins_monro(PowerLaw(p))
    assert report.method == "numerical"
    assert (report.sum_diverges, report.sum_of_squares_converges) == (diverges, squares_converge), str(report)
