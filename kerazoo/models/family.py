"""The `Family` protocol: what a family of models tells the shared machinery.

A family is one folder, `kerazoo/models/<family>/`: its model classes and
builders, its presets, and one `Family` object that answers every question
the shared code would otherwise ask with an `if`:

- which models it builds (`builders`) and its named configurations (`presets`);
- its training defaults (`defaults`) and command-line flags (`flags`);
- how a run's data and vocabulary are made (`prepare`), how the model is
  built and compiled (`build`, `compile`), how it is fit (`fit`: `model.fit`
  unless the family replaces it, e.g. counting for an n-gram model) and
  evaluated (`evaluate`);
- what it can do (`capabilities`: generate, translate, embed) and the
  SavedModel signatures it exports (`signatures`, names of the shared
  signature builders in `kerazoo.export.signatures`);
- a tiny configuration for the tests (`tiny_cases`).

`kerazoo.models.registry` lists the families; the runner
(`kerazoo.training.runner`), the exporter (`kerazoo.export`) and the CLI look
everything up there by the family's name, which every run folder's
`config.json` and every SavedModel's `assets/kerazoo.json` record.

A preset, in every family, is a dict:

    {"description": str, "model": str, "model_kwargs": {builder arguments},
     "training": {settings on top of the family's defaults}}
"""

import copy
import dataclasses
import inspect
import json
import math
import os
from typing import Any
from typing import Callable
from typing import Optional

import keras

GENERATE = "generate"
TRANSLATE = "translate"
EMBED = "embed"
CAPABILITIES = (GENERATE, TRANSLATE, EMBED)
# Data-parallel engines of `kerazoo.training.distribute`, for the families that support them.
DISTRIBUTE_CHOICES = ("none", "mirrored", "multi-worker")


# --- Command-line flags -----------------------------------------------------------------------


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


# --- What a run works with --------------------------------------------------------------------


@dataclasses.dataclass
class RunData:
    """Everything `prepare` makes for a run, before the model exists.

    Attributes:
        vocabulary: the run's vocabulary (it has `save(path)` and `size`).
        train: what `fit` trains on: a dataset, or `(x, y)` arrays.
        validation: a dataset, `(x, y)` arrays, or None for no validation.
        steps_per_epoch: int or None (None: a pass over array data).
        validation_steps: int or None.
        units_per_step: int or None. How many `units` (characters, tokens,
            pairs) one training step sees, for the throughput.
        facts: dict. Sizes recorded in `metrics.json` (corpus, vocabulary, ...).
        extra: dict. Whatever else the family keeps for `build`, `fit` and `evaluate`.
    """

    vocabulary: Any
    train: Any
    validation: Any = None
    steps_per_epoch: Optional[int] = None
    validation_steps: Optional[int] = None
    units_per_step: Optional[int] = None
    facts: dict = dataclasses.field(default_factory=dict)
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class TinyCase:
    """One model of a family in a tiny configuration, for the backend and export tests.

    Attributes:
        name: str. The case's name in test ids (usually the model name).
        family: str. The family's name.
        vocabulary: callable returning the vocabulary the model is built for.
        build: callable(vocabulary) returning an unbuilt model.
        inputs: callable(vocabulary) returning the model's input.
        targets: callable(vocabulary) returning the labels for `fit`, or None.
        loss: str or None. `"sparse_categorical_crossentropy_from_logits"`, or
            None for a model whose `compute_loss` holds its loss.
        output: callable(model, vocabulary) or None. The deterministic text
            the family's generator or translator makes (greedy).
        exports_logits: bool. Whether the SavedModel's `serving_default` maps
            these inputs to the same logits.
    """

    name: str
    family: str
    vocabulary: Callable
    build: Callable
    inputs: Callable
    targets: Callable
    loss: Optional[str] = "sparse_categorical_crossentropy_from_logits"
    output: Optional[Callable] = None
    exports_logits: bool = True


# --- The protocol -----------------------------------------------------------------------------


class Family:
    """Base class of every family; a subclass sets the attributes and overrides what differs.

    Attributes:
        name: str. The family's name, recorded in run folders and SavedModels.
        description: str. One line for `kerazoo list`.
        builders: dict of model name -> builder function.
        model_classes: tuple of the classes its builders return (and that it
            exports), so that a trained model object finds its family.
        presets: dict of preset name -> preset (see the module docstring).
        defaults: dict. Flat, commented training defaults.
        default_model: str. The model trained when neither model nor preset is given
            (the first of `builders` unless a family names another).
        default_preset: str or None. The preset applied when none is given, so
            that the defaults run on a 2-core laptop.
        flags: tuple of `Flag`. The flags `kerazoo train` takes for this family
            (besides `--preset`, `--output`).
        capabilities: tuple, a subset of `CAPABILITIES`.
        signatures: dict of SavedModel signature name -> shared builder name.
        identity: tuple of config keys a resumed run must keep.
        monitor: str. The metric the best checkpoint is chosen by.
        units: str. What a training step counts (`chars`, `tokens`, `pairs`).
        summary_keys: tuple of metrics keys that `kerazoo train` prints.
        vocabulary_file: str. The vocabulary's file name in a run folder.
    """

    name = None
    description = ""
    builders = {}
    model_classes = ()
    presets = {}
    defaults = {}
    default_model = None
    default_preset = None
    flags = ()
    capabilities = ()
    signatures = {}
    identity = ("family", "model", "model_kwargs")
    monitor = "val_loss"
    units = "examples"
    summary_keys = ("best_val_loss", "steps", "wall_s", "parameters")
    vocabulary_file = "vocabulary.json"
    settings_label = "training"  # how an unknown setting's error names the settings

    # --- Configuration ---

    @property
    def models(self):
        return tuple(self.builders)

    def __init__(self):
        if self.default_model is None and self.builders:
            self.default_model = next(iter(self.builders))

    def flags_for(self, model):
        """The flags that apply to `model` (all of the family's, unless a family narrows them)."""
        return self.flags

    def resolve_config(self, model=None, preset=None, model_kwargs=None, **training):
        """Merges the defaults, a preset and explicit settings into one run configuration.

        Args:
            model: str or None. One of `builders`; taken from the preset when None.
            preset: str or None. One of `presets`; `default_preset` when None
                and no model is named.
            model_kwargs: dict or None. Builder arguments on top of the preset's.
            **training: settings on top of `defaults`; None values are ignored.

        Returns:
            dict with `family`, `model`, `preset`, `model_kwargs` and every setting.
        """
        if preset is None and model in (None, self.default_model) and self.default_preset:
            preset = self.default_preset
        preset_config = {"model_kwargs": {}, "training": {}}
        if preset is not None:
            if preset not in self.presets:
                raise ValueError(f"`preset` must be one of {sorted(self.presets)}. Received: preset={preset!r}")
            preset_config = self.presets[preset]
            if model is not None and model != preset_config["model"]:
                raise ValueError(
                    f"Preset {preset!r} is a {preset_config['model']} model. Received: model={model!r}"
                )
            model = preset_config["model"]
        model = model or self.default_model
        if model not in self.builders:
            raise ValueError(f"`model` must be one of {sorted(self.builders)}. Received: model={model!r}")
        unknown = set(training) - set(self.defaults)
        if unknown:
            raise ValueError(
                f"Unknown {self.settings_label} settings: {sorted(unknown)}. Known: {sorted(self.defaults)}"
            )
        config = copy.deepcopy(self.defaults)
        config.update(copy.deepcopy(preset_config.get("training", {})))
        explicit = {key: value for key, value in training.items() if value is not None}
        config.update(explicit)
        kwargs = copy.deepcopy(preset_config.get("model_kwargs", {}))
        kwargs.update(model_kwargs or {})
        config.update({"family": self.name, "model": model, "preset": preset, "model_kwargs": kwargs})
        self.check_config(config, explicit=explicit, preset_training=preset_config.get("training", {}))
        self.check_model_kwargs(model, kwargs)
        return config

    def check_config(self, config, explicit=None, preset_training=None):
        """Raises ValueError naming a bad setting; may fill in settings that depend on others."""

    def check_model_kwargs(self, model, kwargs):
        """Refuses builder arguments the builder does not take, before anything is built."""
        parameters = inspect.signature(self.builders[model]).parameters
        if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
            return
        unknown = sorted(set(kwargs) - set(parameters))
        if unknown:
            raise ValueError(
                f"{model} takes no {', '.join(f'`{key}`' for key in unknown)}. "
                f"Received: model_kwargs={kwargs!r}"
            )

    # --- Data and model ---

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        """Makes the run's `RunData`.

        Args:
            config: the resolved config.
            vocabulary: the vocabulary of a run being resumed, or None to build one.
            initial_epoch: int. The epoch training starts at (seeds the shuffle).
            replicas: int. Devices sharing each batch.
            corpus: an in-memory corpus that replaces `config["corpus"]`, or None.
        """
        raise NotImplementedError

    def vocabulary_sizes(self, vocabulary):
        """The builder's leading arguments: the vocabulary size (a source and a target size for seq2seq)."""
        return (vocabulary.size,)

    def build(self, config, data):
        """The untrained model for `config`, given the run's data."""
        return self.builders[config["model"]](*self.vocabulary_sizes(data.vocabulary), **config["model_kwargs"])

    def compile(self, model, config, data):
        raise NotImplementedError

    def fit(self, model, data, config, callbacks, initial_epoch=0):
        """Trains `model`, calling `callbacks` (a list); `model.fit` by default.

        A family that does not learn by gradient steps (counts, EM) replaces
        this: it must call the callbacks' `on_train_begin`, `on_epoch_end`
        (with the epoch's logs) and `on_train_end` as `fit` would.

        Returns:
            dict of metric name -> list of per-epoch values (a Keras `History.history`).
        """
        x, y = data.train if isinstance(data.train, tuple) else (data.train, None)
        history = model.fit(
            x,
            y,
            batch_size=config.get("batch_size") if y is not None else None,
            epochs=config["epochs"],
            initial_epoch=initial_epoch,
            steps_per_epoch=data.steps_per_epoch,
            validation_data=data.validation,
            validation_steps=data.validation_steps if data.validation is not None else None,
            callbacks=callbacks,
            verbose=config.get("verbose", 1),
            # A dataset is shuffled by its pipeline; arrays are shuffled by fit.
            shuffle=y is not None,
        )
        return history.history

    def evaluate(self, model, data, config):
        """Held-out measurements of the best model, added to `metrics.json` (a dict)."""
        return {}

    def finish_run(self, output, model, data, config):
        """Writes the family's own files into a finished run folder (e.g. word vectors)."""

    def load_vocabulary(self, path):
        raise NotImplementedError

    # --- Trained presets ---

    def measure(self, model, vocabulary, spec, folder=None):
        """A held-out measure of a trained model, for its model card and `kerazoo evaluate`.

        Args:
            model, vocabulary: the trained model and its vocabulary.
            spec: dict. `{"kind": ..., "data": {...}}`, the measure the card names
                (e.g. `streamed_loss` on tiny_shakespeare's held-out split).
            folder: str or None. The preset folder, for a measure that reads a file of its own.

        Returns:
            dict with `value` (the figure the card compares) and any other figures.
        """
        raise ValueError(f"The {self.name} family has no measure {spec.get('kind')!r}.")

    def parameter_count(self, model):
        """What the model stores, for tables of models side by side: `{"count": int, "kind": str}`.

        The weights by default; a family that stores something else (an
        n-gram model: its n-gram counts) says what.
        """
        return {"count": model.count_params(), "kind": "weights"}

    def embed(self, model, vocabulary, texts, **options):
        """Embeds `texts` for `kerazoo embed`: one JSON-ready dict per text (families that embed)."""
        raise NotImplementedError(f"The {self.name} family does not embed text.")

    def example(self, model, vocabulary):
        """What the model does, on one fixed input, for its model card: `{"input": ..., "output": ...}`."""
        return {}

    # --- Capabilities ---

    def serving_model(self, model, vocabulary):
        """What a SavedModel serves: the model itself, or e.g. an embedder around it."""
        return model

    def export_info(self, served):
        """Facts about the served model for `assets/kerazoo.json` (a dict)."""
        return {}

    def sample(self, model, vocabulary, prompt, length, temperature=0.8, seed=0):
        """Text sampled from `model` during training; families that generate override it."""
        raise NotImplementedError(f"The {self.name} family does not generate text.")

    def tiny_cases(self):
        """`TinyCase`s of this family, for the backend and export tests."""
        return []

    # Builder arguments of each model in its tiny configuration.
    tiny_model_kwargs = {}

    def tiny_builder(self, model):
        """A function of a vocabulary that builds `model` in its tiny configuration."""
        builder, kwargs = self.builders[model], self.tiny_model_kwargs.get(model, {})
        return lambda vocabulary: builder(*self.vocabulary_sizes(vocabulary), **kwargs)

    def __repr__(self):
        return f"<Family {self.name}: {', '.join(self.models)}>"


# --- Helpers shared by the families -------------------------------------------------------------


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


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def bits(nats):
    return nats / math.log(2.0)


def sparse_logits_loss(ignore_class=None):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_class)
