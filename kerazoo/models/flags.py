"""Command-line flags that families declare: `kerazoo train MODEL`'s flags and other commands' options.

A family lists the flags it takes (`TrainingProtocol.flags`, and per command
`ExportProtocol.command_options`); the CLI builds its parsers from them and
refuses a flag that the chosen model's family does not declare.
"""

import dataclasses
from typing import Callable
from typing import Optional


def positive_int(text):
    """An argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise ValueError(f"must be >= 1, got {value}")
    return value


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise ValueError(f"must be >= 0, got {value}")
    return value


def non_negative_float(text):
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"must be a finite number >= 0, got {text}")
    return value


def positive_float(text):
    """An argparse type: a finite number > 0 (a timeout in seconds, for instance)."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError(f"must be a finite number > 0, got {text}")
    return value


@dataclasses.dataclass(frozen=True)
class Flag:
    """A flag of `kerazoo train MODEL`, declared by the families it applies to.

    Attributes:
        key: str. The config key it sets (`seq_length`), or the builder
            argument (`units`) when `target` is `"model"`.
        type: callable. Converts the text (argparse's `type`).
        help: str.
        target: `"training"` (a run setting) or `"model"` (a builder argument).
        choices: tuple or None.
        switch: bool. A flag without a value that sets True (`--cell-api`).
        option: str or None. The flag as typed; default `--` + key with dashes.
        convert: callable or None. Applied to the parsed value (`0` -> None).
    """

    key: str
    type: Callable = str
    help: str = ""
    target: str = "training"
    choices: Optional[tuple] = None
    switch: bool = False
    option: Optional[str] = None
    convert: Optional[Callable] = None

    @property
    def flag(self):
        return self.option or "--" + self.key.replace("_", "-")


def _none_if_zero(value):
    return None if value == 0 else value


# Flags that several families share; a family lists the ones it takes.
COMMON_FLAGS = {
    flag.key: flag
    for flag in (
        Flag("corpus", help="shakespeare (default), tiny_shakespeare, or a text file path"),
        Flag("data_dir", help="tensorflow-datasets data folder"),
        Flag("validation_split", choices=("validation", "heldout"),
             help="heldout = validation + test, nanoGPT's val split for tiny_shakespeare"),
        Flag("epochs", positive_int),
        Flag("steps_per_epoch", positive_int),
        Flag("validation_steps", positive_int),
        Flag("batch_size", positive_int),
        Flag("seq_length", positive_int, help="tokens per training window"),
        Flag("optimizer", help="an optimizer recipe: adam, rmsprop, nanogpt_adamw_cosine, ... (see `kerazoo list`)"),
        Flag("learning_rate", float),
        Flag("clipnorm", float, help="clip the global gradient norm; 0 is off"),
        Flag("clipvalue", float, help="clamp each gradient element instead"),
        Flag("seed", int),
        Flag("sample_every", int, help="steps between printed samples (0: off)"),
        Flag("sample_length", positive_int),
        Flag("max_minutes", non_negative_float, help="stop training after this much wall time; rerun to go on (0: no "
             "limit, also over a preset's)"),
        Flag("pipeline", choices=("auto", "tf", "numpy")),
        Flag("verbose", int, choices=(0, 1, 2), help="Keras progress output"),
        Flag("distribute", choices=("none", "mirrored", "multi-worker"),
             help="data-parallel training: local devices, or a cluster from TF_CONFIG / KERAS_DISTRIBUTION_* "
                  "(docs/backends.md)"),
        Flag("min_count", positive_int, help="drop words seen fewer times"),
        Flag("max_vocab", positive_int, help="keep at most this many words"),
        # Builder arguments.
        Flag("units", positive_int, target="model"),
        Flag("num_layers", positive_int, target="model"),
        Flag("embedding_dim", non_negative_int, target="model", help="0: one-hot input", convert=_none_if_zero),
        Flag("dropout", float, target="model"),
        Flag("num_heads", positive_int, target="model", help="attention heads"),
        Flag("hidden_dim", positive_int, target="model", help="model width"),
        Flag("max_sequence_length", positive_int, target="model", help="context length"),
    )
}


def common_flags(*keys):
    return tuple(COMMON_FLAGS[key] for key in keys)
