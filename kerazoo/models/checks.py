"""Checks of a run's settings, by name in its config: the checks of `kerazoo.utils.arguments`, one setting at a time."""

from kerazoo.utils import arguments

DISTRIBUTE_CHOICES = ("none", "mirrored", "multi-worker")


def check_integers(config, names, minimum=1, allow_none=False):
    for name in names:
        arguments.check_integer(name, config[name], minimum=minimum, allow_none=allow_none)


def check_positive(config, names, allow_none=False):
    for name in names:
        arguments.check_positive(name, config[name], allow_none=allow_none)


def check_choice(config, name, choices):
    arguments.check_choice(name, config[name], choices)


def check_time_budget(config):
    """`max_minutes` is None or 0 (no time limit; 0 lifts a configuration's) or a positive number of minutes."""
    value = config.get("max_minutes")
    try:
        arguments.check_number("max_minutes", value, minimum=0, finite=True, allow_none=True)
    except ValueError:
        raise ValueError(
            f"`max_minutes` must be a number >= 0 (0: no limit) or None. Received: max_minutes={value!r}"
        ) from None


def check_distribute(config, choices=DISTRIBUTE_CHOICES):
    """`distribute` is one of `choices`, and a multi-worker run has no `max_minutes`.

    Each worker would check its own clock after each batch, so one could stop a step before
    another, which then waits in the step's all-reduce for a worker that has left. Epochs and
    steps are counted alike on every worker, so they bound a multi-worker run instead.
    """
    check_choice(config, "distribute", choices)
    if config["distribute"] == "multi-worker" and config.get("max_minutes"):
        raise ValueError(
            "`max_minutes` cannot bound a multi-worker run: each worker reads its own clock, so workers could stop "
            "at different steps and leave the others waiting. Bound it with `epochs` (and `steps_per_epoch`). "
            f"Received: max_minutes={config['max_minutes']!r} with distribute='multi-worker'"
        )


def check_optimizer(name):
    from kerazoo import optimizers

    return optimizers.get_recipe(name)  # an unknown name fails before any file is written
