import numpy as np
import pytest

from kerazoo import optimizers
from kerazoo.optimizers import lab


def test_constant_half_rate_lands_theta_on_every_sampled_point():
    run = lab.sgd_toy_problem(optimizers.get("sgd", learning_rate=0.5), epochs=3, seed=1)
    assert run.theta[0] == -20.0 and len(run.theta) == 3 * 21 + 1
    # θ ← θ + 2·0.5·(x_i − θ) = x_i: each step puts θ on the point it sampled.
    np.testing.assert_array_equal(run.theta[1:], run.samples)
    # So it keeps bouncing: in the last pass θ visits every point, ±10 included.
    assert np.abs(run.theta[-21:]).max() == 10.0


def test_inverse_time_decay_converges_to_the_mean():
    run = lab.sgd_toy_problem(optimizers.get("sgd_inverse_time"), epochs=5, seed=2)
    # With α_k = 0.5/(1+k), θ after t steps is the mean of the first t samples...
    running_mean = np.cumsum(run.samples) / np.arange(1, len(run.samples) + 1)
    np.testing.assert_allclose(run.theta[1:], running_mean, atol=1e-5)
    # ...which is θ* = 0 after every full pass, and at the end (tolerance 1e-5).
    np.testing.assert_allclose(run.theta[21::21], 0.0, atol=1e-5)
    assert abs(run.theta[-1]) < 1e-5
    np.testing.assert_allclose(run.mse[-1], np.var(lab.TOY_DATA), rtol=1e-6)


def test_full_batch_gradient_converges_in_one_step():
    run = lab.sgd_toy_problem(optimizers.get("sgd", learning_rate=0.5), batch_size=21, epochs=3)
    assert len(run.theta) == 4
    # 0 up to float32 rounding of a step of size 20.
    np.testing.assert_allclose(run.theta[1:], 0.0, atol=1e-5)


def test_sgd_on_the_bowl_follows_the_closed_form():
    """On (x² + 50y²)/2, SGD multiplies x by (1 − α) and y by (1 − 50α) at every step."""
    alpha, steps = 0.03, 20
    path = lab.surface_trajectory("ill_conditioned_bowl", optimizers.get("sgd", learning_rate=alpha), (-4.0, 1.0), steps)
    k = np.arange(steps + 1)
    np.testing.assert_allclose(path[:, 0], -4.0 * (1 - alpha) ** k, rtol=1e-5)
    np.testing.assert_allclose(path[:, 1], (1 - 50 * alpha) ** k, rtol=1e-4, atol=1e-7)


def test_adaptive_steps_leave_the_saddle_sooner_than_sgd():
    start, steps = (1.0, 0.001), 40
    sgd = lab.surface_trajectory("saddle", optimizers.get("sgd", learning_rate=0.05), start, steps)
    rmsprop = lab.surface_trajectory("saddle", optimizers.get("rmsprop", learning_rate=0.05), start, steps)
    # SGD's y grows by (1 + α) per step: 0.001 · 1.05^40 ≈ 0.007; RMSProp's steps do not shrink with y.
    np.testing.assert_allclose(sgd[-1, 1], 0.001 * 1.05**steps, rtol=1e-3)
    assert rmsprop[-1, 1] > 0.5


def test_unknown_surface_is_refused():
    with pytest.raises(ValueError, match="Received: surface='nope'"):
        lab.SurfacePoint("nope")
