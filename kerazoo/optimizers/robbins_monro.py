"""The Robbins–Monro conditions on a step-size schedule: Σα_k = ∞ and Σα_k² < ∞.

SGD with noisy gradients converges (under the usual assumptions) when the steps
are large enough in total to reach the optimum from anywhere (Σα_k = ∞) and
small enough in total to average out the noise (Σα_k² < ∞).

For the schedules whose tail is known in closed form the answer is exact: a
tail α_k ~ c·k^-p with c > 0 has Σα_k = ∞ exactly when p <= 1, and Σα_k² < ∞
exactly when p > 1/2. A tail that reaches 0, or decays geometrically, has
both sums finite. Any other schedule gets a numerical tail test, described in
`robbins_monro`.
"""

import dataclasses
import math

import keras

from kerazoo.optimizers.schedules import ConstantSchedule
from kerazoo.optimizers.schedules import EpochExponentialDecay
from kerazoo.optimizers.schedules import InverseSqrtDecay
from kerazoo.optimizers.schedules import TransformerSchedule
from kerazoo.optimizers.schedules import evaluate_schedule

# The numerical tail test: the local power p between these steps, and the
# margin around the thresholds p = 1 and p = 1/2 within which it gives no answer.
TAIL_STEPS = (10**6, 10**7, 10**8)
TAIL_MARGIN = 0.05


@dataclasses.dataclass(frozen=True)
class RobbinsMonroReport:
    """What `robbins_monro` found.

    Attributes:
        sum_diverges: bool or None. Σα_k = ∞ (None: the numerical test cannot tell).
        sum_of_squares_converges: bool or None. Σα_k² < ∞.
        method: str. `"exact"` or `"numerical"`.
        tail: str. The tail the answer rests on, e.g. `"c·k^-1, c=0.5"`.
    """

    sum_diverges: object
    sum_of_squares_converges: object
    method: str
    tail: str

    @property
    def satisfied(self):
        """True when both conditions hold; None when either is undecided."""
        if self.sum_diverges is None or self.sum_of_squares_converges is None:
            return None
        return bool(self.sum_diverges and self.sum_of_squares_converges)

    def __str__(self):
        def word(value):
            return {True: "yes", False: "no", None: "undecided"}[value]

        return (
            f"sum of steps infinite: {word(self.sum_diverges)}; "
            f"sum of squares finite: {word(self.sum_of_squares_converges)} "
            f"({self.method}, tail {self.tail})"
        )


def _power_report(c, p, method="exact"):
    if c <= 0:
        return RobbinsMonroReport(False, True, method, "0 after finitely many steps")
    tail = f"c·k^-{p:g}, c={c:g}" if p else f"constant {c:g}"
    return RobbinsMonroReport(p <= 1, p > 0.5, method, tail)


def _exact_tail(schedule):
    """(c, p) with α_k ~ c·k^-p, "geometric", or None when the tail is not known here."""
    schedules = keras.optimizers.schedules
    if isinstance(schedule, ConstantSchedule):
        return schedule.learning_rate, 0
    if isinstance(schedule, (schedules.InverseTimeDecay, InverseSqrtDecay)):
        if schedule.decay_rate == 0:
            return schedule.initial_learning_rate, 0
        power = 1 if isinstance(schedule, schedules.InverseTimeDecay) else 0.5
        c = schedule.initial_learning_rate * (schedule.decay_steps / schedule.decay_rate) ** power
        return c, power
    if isinstance(schedule, TransformerSchedule):
        return schedule.scale / math.sqrt(schedule.d_model), 0.5
    if isinstance(schedule, schedules.CosineDecay):
        peak = schedule.initial_learning_rate if schedule.warmup_target is None else schedule.warmup_target
        return peak * schedule.alpha, 0
    if isinstance(schedule, (EpochExponentialDecay, schedules.ExponentialDecay)):
        if schedule.decay_rate == 1:
            return schedule.initial_learning_rate, 0
        if schedule.decay_rate > 1:
            return None  # a growing rate: leave it to the numerical test
        return "geometric"
    if isinstance(schedule, schedules.PolynomialDecay) and not schedule.cycle:
        return schedule.end_learning_rate, 0
    return None


def robbins_monro(schedule):
    """Checks the Robbins–Monro conditions Σα_k = ∞ and Σα_k² < ∞ for a schedule.

    Exact for the kerazoo schedules and for Keras's `InverseTimeDecay`,
    `CosineDecay`, `ExponentialDecay` and non-cyclic `PolynomialDecay`: their
    tails are c·k^-p (p = 0 for a constant, 1/2 for inverse square root, 1 for
    inverse time), geometric, or 0.

    Any other schedule (or a plain float, which is constant) is sampled at
    k = 10^6, 10^7 and 10^8. The local power p is the log10 ratio of the rates
    one decade apart, taken from the last decade. Σα_k = ∞ is reported when
    p < 1 − 0.05 and denied when p > 1 + 0.05, and Σα_k² < ∞ likewise around
    1/2. Nearer the thresholds, or when the two decades disagree by more than
    0.05, the answer is None: a slowly varying factor such as 1/log k cannot be
    seen from a few samples.

    Args:
        schedule: a `keras.optimizers.schedules.LearningRateSchedule` or a float.

    Returns:
        a `RobbinsMonroReport`; its `satisfied` is True when both conditions hold.

    Example:

    >>> robbins_monro(inverse_time_decay(0.5)).satisfied  # α_0 / (1 + k)
    True
    >>> robbins_monro(0.5).satisfied  # constant
    False
    """
    if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return _power_report(float(schedule), 0)
    tail = _exact_tail(schedule)
    if tail == "geometric":
        return RobbinsMonroReport(False, True, "exact", "geometric decay")
    if tail is not None:
        return _power_report(*tail)
    return _numerical(schedule)


def _numerical(schedule):
    rates = evaluate_schedule(schedule, list(TAIL_STEPS))
    if rates[-1] <= 0:
        return RobbinsMonroReport(False, True, "numerical", f"α=0 at k={TAIL_STEPS[-1]:.0e}")
    if rates[-2] <= 0 or not all(math.isfinite(r) for r in rates):
        return RobbinsMonroReport(None, None, "numerical", f"rates {rates.tolist()} at k={TAIL_STEPS}")
    slopes = [math.log10(rates[i] / rates[i + 1]) for i in range(len(rates) - 1)]
    p = slopes[-1]
    tail = f"c·k^-p, p≈{p:.3f} from k={TAIL_STEPS[-2]:.0e}..{TAIL_STEPS[-1]:.0e}"
    if rates[0] <= 0 or abs(slopes[-1] - slopes[-2]) > TAIL_MARGIN:
        return RobbinsMonroReport(None, None, "numerical", tail + f", unsettled (slopes {slopes})")

    def decide(threshold, below):
        if abs(p - threshold) <= TAIL_MARGIN:
            return None
        return below if p < threshold else not below

    return RobbinsMonroReport(decide(1.0, True), decide(0.5, False), "numerical", tail)
