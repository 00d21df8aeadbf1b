"""Learning-rate schedules: what Keras lacks, plus validated builders for what it has.

Every schedule is a `keras.optimizers.schedules.LearningRateSchedule` called
with the optimizer's step counter `k`. In Keras, `k` (`optimizer.iterations`)
counts optimizer updates, that is batches, and it is 0 for the first update.
It never counts epochs. A schedule meant per epoch converts `k` to an epoch
with `steps_per_epoch`, or uses `decay_steps=steps_per_epoch`.

Keras already has inverse time decay (`InverseTimeDecay`) and cosine decay
with a linear warmup (`CosineDecay(warmup_target=...)`). `inverse_time_decay`
and `warmup_cosine_decay` return those classes after checking their arguments.
The classes below cover the rest, with `keras.ops` only, so they run on every
backend, and they are registered for serialization so that a saved model
restores its optimizer.
"""

import inspect
import math

import keras
import numpy as np
from keras import ops

from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number
from kerazoo.utils.arguments import check_positive

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule


def _check_learning_rate(name, value):
    check_number(name, value, minimum=0, exclusive_minimum=True, finite=True)


def _float_step(step):
    return ops.cast(step, "float32")


@keras.saving.register_keras_serializable(package="kerazoo")
class ConstantSchedule(LearningRateSchedule):
    """A constant learning rate, α_k = α for every step k.

    Keras takes a plain float for this. The class exists so that a constant
    rate can be plotted, checked by `robbins_monro` and named in a recipe like
    any other schedule.

    Args:
        learning_rate: float. The rate α, > 0.

    Example:

    >>> schedule = ConstantSchedule(0.5)
    >>> float(schedule(10))
    0.5
    """

    def __init__(self, learning_rate):
        super().__init__()
        _check_learning_rate("learning_rate", learning_rate)
        self.learning_rate = learning_rate

    def __call__(self, step):
        step = _float_step(step)
        return ops.zeros_like(step) + self.learning_rate

    def get_config(self):
        return {"learning_rate": self.learning_rate}


def inverse_time_decay(initial_learning_rate, decay_steps=1, decay_rate=1.0, staircase=False):
    """Inverse time decay, the lectures' α_k = α_0 / (1 + k) by default.

    Returns Keras's own `keras.optimizers.schedules.InverseTimeDecay`, which
    computes

        α_k = α_0 / (1 + decay_rate · k / decay_steps)

    (with `k / decay_steps` rounded down when `staircase=True`), after checking
    the arguments. `k` is the optimizer step, so:

    - `decay_steps=1, decay_rate=1` (the defaults) is α_0 / (1 + k) with k
      counting steps (batches), as in the lectures' SGD toy problem, where a
      step is one example.
    - `decay_steps=steps_per_epoch, decay_rate=1` is α_0 / (1 + e) with e the
      number of epochs seen (fractional; whole epochs with `staircase=True`).
    - `decay_rate=r` is α_0 / (1 + r·k): a rate r slows the decay by 1/r.

    Args:
        initial_learning_rate: float. α_0, > 0.
        decay_steps: int or float. Steps per unit of k, > 0. Default 1.
        decay_rate: float. r, >= 0 (0 is a constant rate). Default 1.0.
        staircase: bool. Round `k / decay_steps` down. Default False.

    Example:

    >>> schedule = inverse_time_decay(0.5)  # 0.5, 0.25, 0.1667, ...
    """
    _check_learning_rate("initial_learning_rate", initial_learning_rate)
    check_positive("decay_steps", decay_steps)
    check_number("decay_rate", decay_rate, minimum=0)
    return keras.optimizers.schedules.InverseTimeDecay(
        initial_learning_rate, decay_steps, decay_rate, staircase=bool(staircase)
    )


@keras.saving.register_keras_serializable(package="kerazoo")
class InverseSqrtDecay(LearningRateSchedule):
    """Inverse square-root decay, α_k = α_0 / √(1 + decay_rate · k / decay_steps).

    The arguments mean what they mean for Keras's `InverseTimeDecay`; the
    defaults give α_0 / √(1 + k) with k the optimizer step. Σα_k diverges but
    Σα_k² does too, so this schedule fails the Robbins–Monro conditions; it is
    the usual rate for averaged SGD and the Transformer's decay phase.

    Args:
        initial_learning_rate: float. α_0, > 0.
        decay_steps: int or float. Steps per unit of k, > 0. Default 1.
        decay_rate: float. >= 0. Default 1.0.
        staircase: bool. Round `k / decay_steps` down. Default False.

    Reference:
        Polyak & Juditsky, "Acceleration of stochastic approximation by
        averaging", SIAM J. Control and Optimization, 1992.
    """

    def __init__(self, initial_learning_rate, decay_steps=1, decay_rate=1.0, staircase=False):
        super().__init__()
        _check_learning_rate("initial_learning_rate", initial_learning_rate)
        check_positive("decay_steps", decay_steps)
        check_number("decay_rate", decay_rate, minimum=0)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = bool(staircase)

    def __call__(self, step):
        progress = _float_step(step) / float(self.decay_steps)
        if self.staircase:
            progress = ops.floor(progress)
        return self.initial_learning_rate * ops.rsqrt(1.0 + self.decay_rate * progress)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerSchedule(LearningRateSchedule):
    """The Transformer's schedule: linear warmup, then inverse square-root decay.

        α = scale · d_model^-0.5 · min(s^-0.5, s · warmup_steps^-1.5),  s = k + 1

    The paper counts steps from 1; Keras's step k starts at 0, hence s = k + 1.
    The rate rises linearly for `warmup_steps` steps, peaks at
    scale / √(d_model · warmup_steps) and then decays as 1/√s.

    Args:
        d_model: int. The model width, > 0. Default 512 (the base model).
        warmup_steps: int. > 0. Default 4000.
        scale: float. A factor on the whole curve, > 0. Default 1.0.

    Reference:
        Vaswani et al., "Attention is all you need", NeurIPS 2017, §5.3.
    """

    def __init__(self, d_model=512, warmup_steps=4000, scale=1.0):
        super().__init__()
        check_integer("d_model", d_model, minimum=1)
        check_integer("warmup_steps", warmup_steps, minimum=1)
        _check_learning_rate("scale", scale)
        self.d_model = d_model
        self.warmup_steps = warmup_steps
        self.scale = scale

    def peak_learning_rate(self):
        """The rate at the end of warmup, scale / √(d_model · warmup_steps)."""
        return self.scale / math.sqrt(self.d_model * self.warmup_steps)

    def __call__(self, step):
        s = _float_step(step) + 1.0
        warmup = s * float(self.warmup_steps) ** -1.5
        return self.scale * float(self.d_model) ** -0.5 * ops.minimum(ops.rsqrt(s), warmup)

    def get_config(self):
        return {"d_model": self.d_model, "warmup_steps": self.warmup_steps, "scale": self.scale}


def warmup_cosine_decay(learning_rate, warmup_steps=100, total_steps=5000, alpha=0.1):
    """nanoGPT's schedule: linear warmup from 0, cosine decay, then a floor.

    Returns Keras's own `keras.optimizers.schedules.CosineDecay` with its
    warmup, after checking the arguments. For step k:

    - k < warmup_steps: α = learning_rate · k / warmup_steps;
    - up to total_steps: α = min_lr + ½(1 + cos(π·d))(learning_rate − min_lr),
      d = (k − warmup_steps) / (total_steps − warmup_steps);
    - after total_steps: α = min_lr,

    with min_lr = alpha · learning_rate. In nanoGPT's names: `learning_rate`,
    `warmup_iters`, `lr_decay_iters` (= total_steps, usually max_iters) and
    `min_lr`. nanoGPT's current code warms up as (k+1)/(warmup+1) instead of
    k/warmup; the two differ by less than 1/warmup_steps of the peak.

    Args:
        learning_rate: float. The peak rate, > 0.
        warmup_steps: int. >= 0. Default 100.
        total_steps: int. The step where the decay ends, > warmup_steps.
            Default 5000.
        alpha: float. The final rate as a fraction of the peak, in [0, 1].
            Default 0.1 (nanoGPT: min_lr = learning_rate / 10).

    Reference:
        Loshchilov & Hutter, "SGDR: Stochastic gradient descent with warm
        restarts", ICLR 2017; Karpathy, nanoGPT (train.py, get_lr).
    """
    _check_learning_rate("learning_rate", learning_rate)
    check_integer("warmup_steps", warmup_steps, minimum=0)
    check_integer("total_steps", total_steps)
    if total_steps <= warmup_steps:
        raise ValueError(
            f"`total_steps` must be > `warmup_steps`. Received: total_steps={total_steps}, "
            f"warmup_steps={warmup_steps}"
        )
    check_number("alpha", alpha, minimum=0, maximum=1)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=total_steps - warmup_steps,
        alpha=alpha,
        warmup_target=learning_rate,
        warmup_steps=warmup_steps,
    )


@keras.saving.register_keras_serializable(package="kerazoo")
class EpochExponentialDecay(LearningRateSchedule):
    """char-rnn's per-epoch exponential decay, which starts after an epoch E.

    Epoch n (counting from 1) trains at

        α = α_0 · decay_rate^max(0, n − decay_after),  n = ⌊k / steps_per_epoch⌋ + 1,

    so the first `decay_after` epochs train at α_0, and at the end of each
    later epoch the rate is multiplied by `decay_rate`. This is char-rnn's
    `learning_rate_decay` (0.97) and `learning_rate_decay_after` (10) for
    decay_after >= 1. The decay counts epochs, so the schedule needs the
    number of optimizer steps in one epoch.

    Args:
        initial_learning_rate: float. α_0, > 0.
        steps_per_epoch: int. Optimizer steps (batches) per epoch, > 0.
        decay_rate: float. The factor per epoch, in (0, 1]. Default 0.97.
        decay_after: int. Epochs at the initial rate, >= 0. Default 10.

    Reference:
        Karpathy, char-rnn (train.lua), 2015.
    """

    def __init__(self, initial_learning_rate, steps_per_epoch, decay_rate=0.97, decay_after=10):
        super().__init__()
        _check_learning_rate("initial_learning_rate", initial_learning_rate)
        check_integer("steps_per_epoch", steps_per_epoch, minimum=1)
        check_number("decay_rate", decay_rate, minimum=0, maximum=1, exclusive_minimum=True)
        check_integer("decay_after", decay_after, minimum=0)
        self.initial_learning_rate = initial_learning_rate
        self.steps_per_epoch = steps_per_epoch
        self.decay_rate = decay_rate
        self.decay_after = decay_after

    def __call__(self, step):
        epoch = ops.floor(_float_step(step) / float(self.steps_per_epoch)) + 1.0
        exponent = ops.maximum(epoch - float(self.decay_after), 0.0)
        return self.initial_learning_rate * ops.power(float(self.decay_rate), exponent)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "steps_per_epoch": self.steps_per_epoch,
            "decay_rate": self.decay_rate,
            "decay_after": self.decay_after,
        }


# name -> (builder, the argument that takes the base learning rate, defaults).
# `kerazoo schedule NAME` and the optimizer recipes build schedules from here.
SCHEDULES = {
    "constant": (ConstantSchedule, "learning_rate", {"learning_rate": 0.01}),
    "inverse_time": (inverse_time_decay, "initial_learning_rate", {"initial_learning_rate": 0.5}),
    "inverse_sqrt": (InverseSqrtDecay, "initial_learning_rate", {"initial_learning_rate": 0.5}),
    # The Transformer's rate comes from d_model and warmup_steps; a learning
    # rate given to it sets the peak (see `get_schedule`).
    "transformer": (TransformerSchedule, None, {}),
    "warmup_cosine": (warmup_cosine_decay, "learning_rate", {"learning_rate": 1e-3}),
    "epoch_exponential": (EpochExponentialDecay, "initial_learning_rate", {"initial_learning_rate": 2e-3}),
}


def schedule_arguments(name):
    """The keyword arguments of schedule `name` besides its base learning rate."""
    builder, rate_argument, _ = SCHEDULES[name]
    return [p for p in inspect.signature(builder).parameters if p != rate_argument]


def get_schedule(name, learning_rate=None, **overrides):
    """Builds schedule `name` from `SCHEDULES` with its defaults and `overrides`.

    Args:
        name: str. One of `SCHEDULES`.
        learning_rate: float or None. The schedule's base rate (α_0, or the
            peak for `warmup_cosine` and `transformer`); None keeps the default.
        **overrides: the schedule's other arguments (`schedule_arguments(name)`);
            None values are ignored.

    Example:

    >>> get_schedule("inverse_time", learning_rate=0.1, decay_steps=100)
    """
    check_choice("schedule", name, sorted(SCHEDULES))
    builder, rate_argument, defaults = SCHEDULES[name]
    accepted = schedule_arguments(name)
    overrides = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(overrides) - set(accepted))
    if unknown:
        raise ValueError(f"Schedule {name!r} takes learning_rate and {accepted}. Received unknown arguments: {unknown}")
    kwargs = dict(defaults)
    kwargs.update(overrides)
    if learning_rate is not None:
        _check_learning_rate("learning_rate", learning_rate)
        if rate_argument is None:
            # Scale the Transformer's curve so that its peak is `learning_rate`.
            d_model = kwargs.get("d_model", 512)
            warmup_steps = kwargs.get("warmup_steps", 4000)
            check_integer("d_model", d_model, minimum=1)
            check_integer("warmup_steps", warmup_steps, minimum=1)
            kwargs["scale"] = learning_rate * math.sqrt(d_model * warmup_steps)
        else:
            kwargs[rate_argument] = learning_rate
    if "steps_per_epoch" in accepted and "steps_per_epoch" not in kwargs:
        raise ValueError(
            f"Schedule {name!r} counts epochs and needs `steps_per_epoch`, the optimizer steps in one epoch. "
            "Received: steps_per_epoch=None"
        )
    return builder(**kwargs)


def evaluate_schedule(schedule, steps):
    """The rates of `schedule` (a schedule or a float) at `steps`, as a float64 NumPy array."""
    steps = np.asarray(steps)
    if not isinstance(schedule, LearningRateSchedule):
        return np.full(steps.shape, float(schedule))
    flat = steps.ravel().astype("int32")
    try:
        # Mapped, because Keras's CosineDecay branches with `ops.cond`, which takes one step at a time.
        rates = ops.convert_to_numpy(ops.vectorized_map(schedule, ops.convert_to_tensor(flat)))
    except Exception:  # a schedule written with Python control flow: one call per step
        rates = [ops.convert_to_numpy(schedule(int(k))) for k in flat]
    return np.asarray(rates, dtype="float64").reshape(steps.shape)
