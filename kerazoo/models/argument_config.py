"""The config of a functional model that is rebuilt from its constructor's arguments."""

import functools
import inspect


@functools.lru_cache(maxsize=None)
def constructor_arguments(cls):
    """The names of the named arguments of `cls.__init__`, in order (not `self`, `*args` or `**kwargs`)."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.kind in named and p.name != "self")


class ArgumentConfigMixin:
    """`get_config` and `from_config` for a functional `keras.Model` built from its arguments.

    Keras's own config of a functional model lists its layers and how they
    connect. The kerazoo models build their graph in `__init__`, so they are
    rebuilt by calling the class again with the same arguments. Each keeps
    every constructor argument as an attribute of the same name (STYLE rule
    1), so the config is read off the signature, as scikit-learn's
    `get_params` reads an estimator's; a new argument cannot be forgotten.

    Example:

        class MyModel(ArgumentConfigMixin, keras.Model):
            def __init__(self, vocabulary_size, units=8, **kwargs):
                ...  # build the graph
                super().__init__(inputs=..., outputs=..., **kwargs)
                self.keep_arguments(locals())
    """

    def keep_arguments(self, arguments):
        """Stores each constructor argument under its own name.

        Args:
            arguments: dict. The constructor's `locals()`, so an argument the
                constructor resolved (a None that means a default) is kept
                as resolved.
        """
        for name in constructor_arguments(type(self)):
            setattr(self, name, arguments[name])

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        config.update({name: getattr(self, name) for name in constructor_arguments(type(self))})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
