import math

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from recipes import autodiff_tour  # noqa: E402


def test_forward_trace_matches_the_lectures_table():
    rows = autodiff_tour.forward_trace()
    values = {row.name: (round(row.value, 3), round(row.tangent_value, 3)) for row in rows}
    assert values == {
        "v_-1": (2.0, 1.0), "v_0": (5.0, 0.0), "v_1": (0.693, 0.5), "v_2": (10.0, 5.0),
        "v_3": (-0.959, 0.0), "v_4": (10.693, 5.5), "v_5": (11.652, 5.5), "y": (11.652, 5.5),
    }
    assert "| y | = v_5 | 11.652 | ẏ | = v̇_5 | 5.500 |" in autodiff_tour.format_trace(rows)


def test_forward_mode_agrees_with_reverse_mode():
    y, dy_dx1, dy_dx2 = autodiff_tour.reverse_gradient()
    assert y == pytest.approx(math.log(2) + 10 - math.sin(5), abs=1e-12)
    assert autodiff_tour.forward_trace(seed=(1.0, 0.0))[-1].tangent_value == pytest.approx(dy_dx1, abs=1e-12)
    assert autodiff_tour.forward_trace(seed=(0.0, 1.0))[-1].tangent_value == pytest.approx(dy_dx2, abs=1e-12)
    assert dy_dx1 == pytest.approx(5.5) and dy_dx2 == pytest.approx(2 - math.cos(5))


def test_finite_difference_error_has_a_truncation_and_a_round_off_side():
    h = np.logspace(-15, -1, 57)
    exact, forward, central = autodiff_tour.finite_difference_errors(h)
    assert exact == pytest.approx(5.5)
    # Truncation: the forward difference is off by about h·|∂²f/∂x1²|/2 = h/8 at x1 = 2.
    assert forward[-1] == pytest.approx(0.1 / 8, rel=0.1)
    # Round-off: the best step is near √ε for forward and ∛ε for central differences.
    assert 1e-10 <= h[np.argmin(forward)] <= 1e-6 and forward.min() < 1e-6
    assert 1e-7 <= h[np.argmin(central)] <= 1e-3 and central.min() < forward.min()
    assert forward[0] > 100 * forward.min()


def test_jacobians_agree_and_cost_one_pass_per_input_or_output():
    rows = autodiff_tour.jacobian_costs(shapes=((7, 2), (2, 7)), repeats=1)
    for row in rows:
        assert (row["forward_passes"], row["reverse_passes"]) == (row["n"], row["m"])
        assert row["max_difference"] < 1e-5
    assert "| 7 | 2 | 7 | 2 |" in autodiff_tour.format_costs(rows)
