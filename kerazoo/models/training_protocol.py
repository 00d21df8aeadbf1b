"""What a family trains: its run configurations, data, model, compile and fit.

The runner (`kerazoo.training.runner`) and `kerazoo train` ask these questions
and no others. A *training configuration* is a named dict of settings a run
starts from (`kerazoo train gpt --config nanogpt-cpu`); it is not a trained
model, which kerazoo calls a *preset* (`kerazoo.from_preset`). A configuration,
in every family, is:

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
from typing import Optional

import keras


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


class TrainingProtocol:
    """What a family trains. A subclass sets the attributes and overrides what differs.

    Attributes:
        name: str. The family's name, recorded in run folders and SavedModels.
        builders: dict of model name -> builder function.
        configs: dict of training-configuration name -> configuration (see the module docstring).
        defaults: dict. Flat, commented training defaults.
        default_model: str. The model trained when neither model nor configuration is given
            (the first of `builders` unless a family names another).
        default_config: str or None. The configuration applied when none is given, so
            that the defaults run on a 2-core laptop.
        flags: tuple of `Flag`. The flags `kerazoo train` takes for this family
            (besides `--config`, `--output`).
        identity: tuple of config keys a resumed run must keep.
        monitor: str. The metric the best checkpoint is chosen by.
        units: str. What a training step counts (`chars`, `tokens`, `pairs`).
        summary_keys: tuple of metrics keys that `kerazoo train` prints.
        vocabulary_class: the vocabulary type of its runs (it has `load(path)`), or None.
        vocabulary_file: str. The vocabulary's file name in a run folder.
        settings_label: str. How an unknown setting's error names the settings.
    """

    name = None
    builders = {}
    configs = {}
    defaults = {}
    default_model = None
    default_config = None
    flags = ()
    identity = ("family", "model", "model_kwargs")
    monitor = "val_loss"
    units = "examples"
    summary_keys = ("best_val_loss", "steps", "wall_s", "parameters")
    vocabulary_class = None
    vocabulary_file = "vocabulary.json"
    settings_label = "training"

    def __init__(self):
        if self.default_model is None and self.builders:
            self.default_model = next(iter(self.builders))

    @property
    def models(self):
        return tuple(self.builders)

    def flags_for(self, model):
        """The flags that apply to `model` (all of the family's, unless a family narrows them)."""
        return self.flags

    def resolve_config(self, model=None, config=None, model_kwargs=None, **training):
        """Merges the defaults, a training configuration and explicit settings into one run configuration.

        Args:
            model: str or None. One of `builders`; taken from the configuration when None.
            config: str or None. One of `configs`; `default_config` when None
                and no model is named. (`preset=` is accepted too, as before.)
            model_kwargs: dict or None. Builder arguments on top of the configuration's.
            **training: settings on top of `defaults`; None values are ignored.

        Returns:
            dict with `family`, `model`, `training_config` (the configuration's name), `model_kwargs` and every setting.
        """
        config = config_name(config, training.pop("preset", None))
        if config is None and model in (None, self.default_model) and self.default_config:
            config = self.default_config
        named = {"model_kwargs": {}, "training": {}}
        if config is not None:
            if config not in self.configs:
                raise ValueError(f"`config` must be one of {sorted(self.configs)}. Received: config={config!r}")
            named = self.configs[config]
            if model is not None and model != named["model"]:
                raise ValueError(f"Configuration {config!r} is a {named['model']} model. Received: model={model!r}")
            model = named["model"]
        model = model or self.default_model
        if model not in self.builders:
            raise ValueError(f"`model` must be one of {sorted(self.builders)}. Received: model={model!r}")
        # A builder argument given as a setting (`embedding_dim=64`) is one: it goes to the model's arguments.
        builder_arguments = {flag.key for flag in self.flags_for(model) if flag.target == "model"} - set(self.defaults)
        given = {key: training.pop(key) for key in list(training) if key in builder_arguments}
        model_kwargs = {**{key: value for key, value in given.items() if value is not None}, **(model_kwargs or {})}
        unknown = set(training) - set(self.defaults)
        if unknown:
            raise ValueError(
                f"Unknown {self.settings_label} settings: {sorted(unknown)}. Known: {sorted(self.defaults)}"
            )
        resolved = copy.deepcopy(self.defaults)
        resolved.update(copy.deepcopy(named.get("training", {})))
        explicit = {key: value for key, value in training.items() if value is not None}
        resolved.update(explicit)
        kwargs = copy.deepcopy(named.get("model_kwargs", {}))
        kwargs.update(model_kwargs or {})
        resolved.update({"family": self.name, "model": model, "training_config": config, "model_kwargs": kwargs})
        self.check_config(resolved, explicit=explicit, config_training=named.get("training", {}))
        self.check_model_kwargs(model, kwargs)
        return resolved

    def check_config(self, config, explicit=None, config_training=None):
        """Raises ValueError naming a bad setting; may fill in settings that depend on others.

        `explicit` holds the settings given by the caller, `config_training` those of the named configuration.
        """

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

    def build_input(self, config):
        """An input that builds the model's weights before a checkpoint loads into it, or None when a call is not needed."""
        return None

    def compile(self, model, config, data):
        raise NotImplementedError

    def fit(self, model, data, config, callbacks, initial_epoch=0):
        """Trains `model`, calling `callbacks` (a list); `model.fit` by default.

        A family that does not learn by Keras's gradient steps (counts, EM, its
        own compiled loop) replaces this, and runs its epochs through
        `fit_epochs`, which calls the callbacks as `fit` would.

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

    @staticmethod
    def fit_epochs(model, callbacks, epochs, initial_epoch, train_epoch, validate=None, report=None):
        """Runs a family's own epochs with `callbacks` called as `model.fit` calls them.

        `BackupAndRestore` restores the model and the epoch in `on_train_begin`
        (so a killed run resumes where its last backup was) and saves after
        every epoch; `ModelCheckpoint`, `CSVLogger` and the time budget see each
        epoch's logs. An epoch counts as one optimizer step (`iterations`), and
        the optimizer is built, so that checkpoints hold what a gradient-fit
        model's would; the budget can stop a run only between epochs.

        Args:
            model: the compiled model; `train_epoch` updates its weights.
            callbacks: list of Keras callbacks.
            epochs, initial_epoch: ints, as `model.fit` takes them.
            train_epoch: callable `(epoch) -> dict` of the epoch's training logs. It is called after
                `on_train_begin`, so its first call sees the restored weights.
            validate: callable `(epoch) -> dict` of `val_` logs, or None.
            report: callable `(epoch, logs)` that prints a progress line, or None.

        Returns:
            dict of metric name -> list of per-epoch values (a Keras `History.history`).
        """
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        callback_list = keras.callbacks.CallbackList(callbacks, model=model)
        model.stop_training = False
        model._initial_epoch = None  # set by BackupAndRestore when it restores a backup, as in `fit`
        callback_list.on_train_begin()
        history, logs = {}, {}
        for epoch in range(model._initial_epoch or initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            callback_list.on_train_batch_begin(0)
            logs = dict(train_epoch(epoch))
            model.optimizer.iterations.assign_add(1)
            callback_list.on_train_batch_end(0, logs)
            if validate is not None:
                logs.update(validate(epoch) or {})
            callback_list.on_epoch_end(epoch, logs)
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            if report is not None:
                report(epoch, logs)
            if model.stop_training:
                break
        callback_list.on_train_end(logs)
        return history

    @property
    def evaluates(self):
        """Whether the family measures its best model after training (it overrides `evaluate`)."""
        return type(self).evaluate is not TrainingProtocol.evaluate

    def evaluate(self, model, data, config):
        """Held-out measurements of the best model, added to `metrics.json` (a dict)."""
        return {}

    def finish_run(self, output, model, data, config):
        """Writes the family's own files into a finished run folder (e.g. word vectors)."""

    def load_vocabulary(self, path):
        """The vocabulary saved at `path` (a run folder's, a preset's or a SavedModel's)."""
        if self.vocabulary_class is None:
            raise NotImplementedError(f"The {self.name} family keeps no vocabulary.")
        return self.vocabulary_class.load(path)

    def sample(self, model, vocabulary, prompt, length, temperature=0.8, seed=0):
        """Text sampled from `model` during training; families that generate override it."""
        raise NotImplementedError(f"The {self.name} family does not generate text.")


# --- Helpers shared by the families' training code ---


def config_name(config, preset=None):
    """The training configuration named by `config` or by its old name `preset` (before presets meant trained weights)."""
    if config is not None and preset is not None and preset != config:
        raise ValueError(f"Give `config` or its old name `preset`, not both. Received: config={config!r}, "
                         f"preset={preset!r}")
    return config if config is not None else preset


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def bits(nats):
    return nats / math.log(2.0)


def sparse_logits_loss(ignore_class=None):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_class)


def recipe_optimizer(config, steps_per_epoch, learning_rate=None, **clipping):
    """The config's optimizer recipe (`config["optimizer"]`), told the run's steps per epoch and its length.

    A recipe's schedule needs them: char-rnn's decay counts epochs, nanoGPT's cosine spans the run
    (`config["epochs"]` epochs of `steps_per_epoch` steps). `learning_rate` (a rate or a
    `LearningRateSchedule`) replaces `config["learning_rate"]`; `clipping` (`global_clipnorm=...`,
    even None) replaces the recipe's clipping.
    """
    from kerazoo import optimizers

    return optimizers.get(
        config["optimizer"],
        steps_per_epoch=steps_per_epoch,
        total_steps=config["epochs"] * steps_per_epoch if steps_per_epoch else None,
        learning_rate=config["learning_rate"] if learning_rate is None else learning_rate,
        **clipping,
    )
