"""The registry of signature builders: each registers from the `<name>_export.py` of the folder that owns it."""

import os

_BUILDERS = {}


def register_signature_builder(function=None, *, name=None):
    """Registers a signature builder under `name` (its function name by default); usable as a decorator.

    A builder is `builder(ctx)` -> `tf.function`, where `ctx` is an
    `ExportContext`. Names are global: registering another function under a
    taken name is refused, so two families cannot shadow each other.
    """

    def register(builder):
        key = name or builder.__name__
        known = _BUILDERS.get(key)
        if known is not None and known is not builder and known.__qualname__ != builder.__qualname__:
            raise ValueError(f"A signature builder named {key!r} is registered already ({known.__module__}).")
        _BUILDERS[key] = builder
        return builder

    return register if function is None else register(function)


def signature_builders():
    """name -> builder, for every registered signature builder (a family's module registers its builders on import)."""
    return dict(_BUILDERS)


def build_signatures(ctx, signatures):
    """Builds `signatures` (signature name -> builder name) into `ctx`; returns name -> `tf.function`."""
    builders = signature_builders()
    unknown = sorted(set(signatures.values()) - set(builders))
    if unknown:
        raise ValueError(f"Unknown signature builders {unknown}; the registered ones are {sorted(builders)}.")
    functions = {name: builders[builder](ctx) for name, builder in signatures.items()}
    ctx.module.signature_functions = functions
    return functions


def write_assets(ctx, folder):
    for name, text in ctx.assets.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)
