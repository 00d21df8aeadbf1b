"""Named optimizer recipes: `get(name, **overrides)` returns a ready Keras optimizer.

Each recipe is a Keras optimizer class and the defaults it sets; any keyword
(learning_rate, clipnorm, clipvalue, ...) overrides them.
"""

import keras

RECIPES = {
    "sgd": (keras.optimizers.SGD, {"learning_rate": 0.01}),
    "momentum": (keras.optimizers.SGD, {"learning_rate": 0.01, "momentum": 0.9}),
    "nesterov": (keras.optimizers.SGD, {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
    "adagrad": (keras.optimizers.Adagrad, {"learning_rate": 0.01}),
    # char-rnn's RMSProp: decay rate 0.95, learning rate 2e-3.
    "rmsprop": (keras.optimizers.RMSprop, {"learning_rate": 2e-3, "rho": 0.95}),
    "adam": (keras.optimizers.Adam, {"learning_rate": 1e-3}),
    "adamw": (keras.optimizers.AdamW, {"learning_rate": 1e-3, "weight_decay": 0.01}),
}


def get(name, **overrides):
    """Returns the optimizer recipe `name`, with `overrides` applied.

    Args:
        name: str. One of `RECIPES`.
        **overrides: keyword arguments of the optimizer class; None values are ignored.

    Example:

    >>> get("rmsprop", learning_rate=1e-3, clipvalue=5.0)
    """
    if name not in RECIPES:
        raise ValueError(f"`optimizer` must be one of {sorted(RECIPES)}. Received: optimizer={name!r}")
    cls, defaults = RECIPES[name]
    kwargs = dict(defaults)
    kwargs.update({key: value for key, value in overrides.items() if value is not None})
    return cls(**kwargs)
