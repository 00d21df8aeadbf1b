"""Checks of run settings shared by the families: each raises ValueError naming the setting and its value."""

DISTRIBUTE_CHOICES = ("none", "mirrored", "multi-worker")


def check_integers(config, names, minimum=1, allow_none=False):
    for name in names:
        value = config[name]
        if value is None and allow_none:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < minimum:
            raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")


def check_positive(config, names, allow_none=False):
    for name in names:
        value = config[name]
        if value is None and allow_none:
            continue
        if value is None or isinstance(value, bool) or not value > 0:
            raise ValueError(f"`{name}` must be > 0. Received: {name}={value!r}")


def check_choice(config, name, choices):
    if config[name] not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}. Received: {name}={config[name]!r}")


def check_time_budget(config):
    """`max_minutes` is None or 0 (no time limit; 0 lifts a preset's) or a positive number of minutes."""
    value = config.get("max_minutes")
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise ValueError(f"`max_minutes` must be a number >= 0 (0: no limit) or None. Received: max_minutes={value!r}")


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
