"""Named optimizer recipes: `get(name, **overrides)` returns a ready Keras optimizer.

A recipe is data: a Keras optimizer class, the defaults it sets, and
optionally a schedule from `kerazoo.optimizers.schedules.SCHEDULES` for its
learning rate. Every recipe names the source its defaults come from.
docs/optimizers.md has the table.
"""

import dataclasses

import keras

from kerazoo.optimizers.schedules import SCHEDULES
from kerazoo.optimizers.schedules import _check_learning_rate
from kerazoo.optimizers.schedules import get_schedule
from kerazoo.optimizers.schedules import schedule_arguments
from kerazoo.utils.arguments import check_choice

_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


@dataclasses.dataclass(frozen=True, eq=False)
class Recipe:
    """One named optimizer configuration.

    Attributes:
        optimizer: a `keras.optimizers.Optimizer` subclass.
        defaults: dict of its keyword arguments. For a scheduled recipe,
            `learning_rate` is the schedule's base rate (α_0 or the peak).
        source: str. Where the defaults come from.
        schedule: str or None. A name in `SCHEDULES`.
        schedule_defaults: dict of the schedule's other arguments.
    """

    optimizer: type
    defaults: dict
    source: str
    schedule: object = None
    schedule_defaults: dict = dataclasses.field(default_factory=dict)


RECIPES = {
    "sgd": Recipe(
        keras.optimizers.SGD, {"learning_rate": 0.01},
        "Plain SGD (Robbins & Monro 1951), Keras's default rate 0.01.",
    ),
    "sgd_inverse_time": Recipe(
        keras.optimizers.SGD, {"learning_rate": 0.5},
        "SGD with the lectures' decay α_k = α_0/(1+k), α_0 = 0.5, k the optimizer step. "
        "Set decay_steps=steps_per_epoch to make k count epochs.",
        schedule="inverse_time", schedule_defaults={"decay_steps": 1, "decay_rate": 1.0},
    ),
    "momentum": Recipe(
        keras.optimizers.SGD, {"learning_rate": 0.01, "momentum": 0.9},
        "SGD with heavy-ball momentum 0.9 (Polyak 1964; Sutskever et al. 2013), rate 0.01.",
    ),
    "nesterov": Recipe(
        keras.optimizers.SGD, {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True},
        "SGD with Nesterov momentum 0.9 (Nesterov 1983; Sutskever et al. 2013), rate 0.01.",
    ),
    "adagrad": Recipe(
        keras.optimizers.Adagrad, {"learning_rate": 0.01},
        "Adagrad (Duchi, Hazan & Singer 2011), rate 0.01; Keras's initial accumulator 0.1.",
    ),
    "rmsprop": Recipe(
        keras.optimizers.RMSprop, {"learning_rate": 2e-3, "rho": 0.95},
        "RMSProp (Tieleman & Hinton 2012, lecture 6e) with char-rnn's rate 2e-3 and decay 0.95.",
    ),
    "adam": Recipe(
        keras.optimizers.Adam, {"learning_rate": 1e-3},
        "Adam (Kingma & Ba 2015): rate 1e-3, betas 0.9/0.999; Keras's epsilon 1e-7.",
    ),
    "adamw": Recipe(
        keras.optimizers.AdamW, {"learning_rate": 1e-3, "weight_decay": 0.01},
        "AdamW (Loshchilov & Hutter 2019): rate 1e-3, decoupled weight decay 0.01.",
    ),
    "charrnn_rmsprop": Recipe(
        keras.optimizers.RMSprop, {"learning_rate": 2e-3, "rho": 0.95, "epsilon": 1e-8, "clipvalue": 5.0},
        "char-rnn's train.lua (Karpathy 2015): RMSProp rate 2e-3, decay 0.95, epsilon 1e-8, "
        "gradients clamped to [-5, 5], rate x0.97 per epoch after epoch 10. Needs steps_per_epoch.",
        schedule="epoch_exponential", schedule_defaults={"decay_rate": 0.97, "decay_after": 10},
    ),
    "bilm_adagrad": Recipe(
        keras.optimizers.Adagrad, {"learning_rate": 0.2, "initial_accumulator_value": 1.0, "global_clipnorm": 10.0},
        "ELMo's biLM (Peters et al. 2018; allenai/bilm-tf training.py): Adagrad rate 0.2, "
        "initial accumulator 1.0, global gradient norm clipped at 10.",
    ),
    "transformer_adam_rsqrt": Recipe(
        keras.optimizers.Adam, {"beta_1": 0.9, "beta_2": 0.98, "epsilon": 1e-9},
        "The Transformer (Vaswani et al. 2017, §5.3): Adam betas 0.9/0.98, epsilon 1e-9, "
        "rate d_model^-0.5 · min(s^-0.5, s · 4000^-1.5) with d_model 512.",
        schedule="transformer", schedule_defaults={"d_model": 512, "warmup_steps": 4000},
    ),
    "nanogpt_adamw_cosine": Recipe(
        keras.optimizers.AdamW,
        {"learning_rate": 1e-3, "weight_decay": 0.1, "beta_1": 0.9, "beta_2": 0.99, "epsilon": 1e-8,
         "global_clipnorm": 1.0},
        "nanoGPT's shakespeare_char config (Karpathy): AdamW peak rate 1e-3, betas 0.9/0.99, "
        "weight decay 0.1, global norm clipped at 1, 100 warmup steps, cosine decay to 1e-4 at the "
        "last step.",
        schedule="warmup_cosine", schedule_defaults={"warmup_steps": 100, "total_steps": 5000, "alpha": 0.1},
    ),
}


def get_recipe(name):
    """The `Recipe` called `name`, or a ValueError that lists the names."""
    check_choice("optimizer", name, sorted(RECIPES))
    return RECIPES[name]


def recipe_schedule(name, learning_rate=None, steps_per_epoch=None, total_steps=None, **schedule_overrides):
    """The learning rate of recipe `name`: a schedule, or a float for an unscheduled recipe.

    Args:
        name: str. One of `RECIPES`.
        learning_rate: float or None. The base rate; None keeps the recipe's.
        steps_per_epoch: int or None. The run's steps per epoch, used by a
            schedule that counts epochs.
        total_steps: int or None. The run's length, used by a schedule that
            decays over the whole run (nanoGPT sets lr_decay_iters = max_iters).
        **schedule_overrides: other arguments of the recipe's schedule.
    """
    recipe = get_recipe(name)
    if learning_rate is not None and not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        _check_learning_rate("learning_rate", learning_rate)
    if recipe.schedule is None or isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        if schedule_overrides:
            raise ValueError(
                f"Recipe {name!r} has no schedule to take {sorted(schedule_overrides)}."
            )
        return recipe.defaults["learning_rate"] if learning_rate is None else learning_rate
    accepted = schedule_arguments(recipe.schedule)
    kwargs = dict(recipe.schedule_defaults)
    # The run's length fills in what the schedule measures; explicit overrides win.
    for key, value in (("steps_per_epoch", steps_per_epoch), ("total_steps", total_steps)):
        if key in accepted and value is not None:
            kwargs[key] = value
    kwargs.update(schedule_overrides)
    if recipe.schedule == "epoch_exponential" and kwargs.get("steps_per_epoch") is None:
        raise ValueError(
            f"Recipe {name!r} decays the rate once per epoch and needs `steps_per_epoch`. "
            "Received: steps_per_epoch=None"
        )
    base = recipe.defaults.get("learning_rate") if learning_rate is None else learning_rate
    return get_schedule(recipe.schedule, learning_rate=base, **kwargs)


def get(name, steps_per_epoch=None, total_steps=None, **overrides):
    """Returns the optimizer recipe `name`, with `overrides` applied.

    Args:
        name: str. One of `RECIPES`.
        steps_per_epoch: int or None. The run's optimizer steps per epoch; a
            recipe whose schedule counts epochs (`charrnn_rmsprop`) needs it,
            the others ignore it.
        total_steps: int or None. The run's length in steps; a recipe whose
            schedule spans the run (`nanogpt_adamw_cosine`) uses it instead of
            its default, the others ignore it.
        **overrides: keyword arguments of the optimizer class or of the
            recipe's schedule (e.g. `warmup_steps`); None values are ignored.
            `learning_rate` is the schedule's base rate for a scheduled recipe,
            or a `LearningRateSchedule` that replaces the recipe's. Clipping
            passed here (`clipnorm`, `clipvalue`, `global_clipnorm`), even as
            None, replaces the recipe's clipping: `kerazoo train` resolves the
            run's clipping first and passes it this way.

    Example:

    >>> get("rmsprop", learning_rate=1e-3, clipvalue=5.0)
    >>> get("nanogpt_adamw_cosine", total_steps=2000)
    """
    recipe = get_recipe(name)
    # Keras takes one kind of clipping; the caller's, even None (no clipping), replaces the recipe's.
    replaces_clipping = any(key in overrides for key in _CLIPPING)
    overrides = {key: value for key, value in overrides.items() if value is not None}
    schedule_keys = set(schedule_arguments(recipe.schedule)) if recipe.schedule else set()
    schedule_overrides = {key: overrides.pop(key) for key in list(overrides) if key in schedule_keys}
    learning_rate = recipe_schedule(
        name, overrides.pop("learning_rate", None), steps_per_epoch, total_steps, **schedule_overrides
    )
    kwargs = dict(recipe.defaults)
    if replaces_clipping:
        for key in _CLIPPING:
            kwargs.pop(key, None)
    kwargs.update(overrides)
    kwargs["learning_rate"] = learning_rate
    try:
        return recipe.optimizer(**kwargs)
    except TypeError as error:
        raise ValueError(f"Recipe {name!r} ({recipe.optimizer.__name__}): {error}") from None


def named_schedule(name, learning_rate=None, steps_per_epoch=None, total_steps=None):
    """The learning-rate schedule called `name`, as `kerazoo train` would build it.

    Args:
        name: str. A schedule in `SCHEDULES`, or an optimizer recipe in
            `RECIPES` (an unscheduled recipe gives a `ConstantSchedule`).
        learning_rate: float or None. The base rate; None keeps the default.
        steps_per_epoch: int or None. Steps in one epoch, for a schedule that
            counts epochs.
        total_steps: int or None. The run's length, for a schedule that spans it.
    """
    from kerazoo.optimizers.schedules import ConstantSchedule

    if name in SCHEDULES:
        accepted = schedule_arguments(name)
        lengths = {"steps_per_epoch": steps_per_epoch, "total_steps": total_steps}
        return get_schedule(name, learning_rate, **{k: v for k, v in lengths.items() if k in accepted})
    if name in RECIPES:
        rate = recipe_schedule(name, learning_rate, steps_per_epoch, total_steps)
        if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
            return rate
        return ConstantSchedule(rate)
    raise ValueError(
        f"`name` must be a schedule ({', '.join(sorted(SCHEDULES))}) or an optimizer recipe "
        f"({', '.join(sorted(RECIPES))}). Received: name={name!r}"
    )
