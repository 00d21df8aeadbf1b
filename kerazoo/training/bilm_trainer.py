"""Training of ELMo's biLM with `model.fit`, scored by forward and backward perplexity on held-out plays.

A run folder holds `config.json`, `vocabulary.json` (a `BilmVocabulary`),
`best.keras` (lowest validation loss), `model.keras`, `history.csv`,
`backup/` (rerun the same command to resume) and `metrics.json`: the
perplexities of the best checkpoint on the whole validation split, and the
training throughput in tokens per second.
"""

import copy
import json
import math
import os
import time

import keras

from kerazoo import optimizers
from kerazoo.data.bilm import DEFAULT_VALIDATION_PLAYS
from kerazoo.data.bilm import TokenStream
from kerazoo.data.bilm import load_sentences
from kerazoo.data.bilm import make_bilm_dataset
from kerazoo.data.bilm import BilmVocabulary
from kerazoo.models.registry import BILM_BUILDERS
from kerazoo.models.registry import BILM_PRESETS
from kerazoo.training.callbacks import TimeBudget
from kerazoo.training.trainer import load_checkpoint
from kerazoo.training.trainer import run_model_name

# Flat, commented defaults; a preset overrides them, the command line overrides both.
BILM_DEFAULTS = {
    "corpus": "shakespeare",  # the embedded plays, or a text file with one sentence per line
    "validation_plays": list(DEFAULT_VALIDATION_PLAYS),  # held out whole (the embedded plays only)
    "max_vocab": None,  # softmax words, most frequent first; None keeps every word
    "min_count": 1,  # a word needs this many training occurrences to get a softmax id
    "seq_length": 20,  # tokens per window (bilm-tf's unroll_steps)
    "batch_size": 128,
    "epochs": 10,
    "steps_per_epoch": None,  # None: one pass over the training windows
    "validation_steps": None,  # batches validated after each epoch; None: all of them
    "optimizer": "bilm_adagrad",  # a kerazoo.optimizers recipe
    "learning_rate": None,  # None: the recipe's
    "clipnorm": None,  # global gradient norm; None: the recipe's
    "seed": 0,
    "max_minutes": None,  # stop training after this much wall time
    "pipeline": "auto",  # "tf", "numpy", or "auto" (tf.data on TensorFlow)
    "verbose": 1,
}


def resolve_bilm_config(model=None, preset=None, model_kwargs=None, **training):
    """Merges defaults, a preset of `BILM_PRESETS` and explicit settings (None values are ignored)."""
    preset_config = {"model_kwargs": {}, "training": {}}
    if preset is not None:
        if preset not in BILM_PRESETS:
            raise ValueError(f"`preset` must be one of {sorted(BILM_PRESETS)}. Received: preset={preset!r}")
        preset_config = BILM_PRESETS[preset]
        if model is not None and model != preset_config["model"]:
            raise ValueError(f"Preset {preset!r} is a {preset_config['model']} model. Received: model={model!r}")
        model = preset_config["model"]
    model = model or "elmo"
    if model not in BILM_BUILDERS:
        raise ValueError(f"`model` must be one of {sorted(BILM_BUILDERS)}. Received: model={model!r}")
    unknown = set(training) - set(BILM_DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown training settings: {sorted(unknown)}. Known: {sorted(BILM_DEFAULTS)}")
    config = copy.deepcopy(BILM_DEFAULTS)
    config.update(copy.deepcopy(preset_config["training"]))
    config.update({key: value for key, value in training.items() if value is not None})
    optimizers.get_recipe(config["optimizer"])  # an unknown name fails before any file is written
    kwargs = copy.deepcopy(preset_config["model_kwargs"])
    kwargs.update(model_kwargs or {})
    config.update({"model": model, "preset": preset, "model_kwargs": kwargs})
    for name in ("seq_length", "batch_size", "epochs", "min_count"):
        if int(config[name]) != config[name] or config[name] < 1:
            raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={config[name]!r}")
    for name in ("max_vocab", "steps_per_epoch", "validation_steps", "max_minutes", "learning_rate", "clipnorm"):
        if config[name] is not None and not config[name] > 0:
            raise ValueError(f"`{name}` must be > 0 or None. Received: {name}={config[name]!r}")
    return config


class TrainingThroughput(keras.callbacks.Callback):
    """Seconds spent in training batches (validation excluded), for tokens per second."""

    def __init__(self):
        super().__init__()
        self.train_s = 0.0
        self.steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        self.train_s += time.monotonic() - self._start
        self.steps += 1


def prepare_bilm_data(config, vocabulary=None):
    """`(vocabulary, train TokenStream, validation TokenStream)` for a config."""
    train_sentences, validation_sentences = load_sentences(config["corpus"], config["validation_plays"])
    if vocabulary is None:
        vocabulary = BilmVocabulary.from_tokens(
            (token for sentence in train_sentences for token in sentence),
            max_size=config["max_vocab"],
            min_count=config["min_count"],
        )
    max_characters = config["model_kwargs"].get("max_characters", 50)
    return (
        vocabulary,
        TokenStream.from_sentences(train_sentences, vocabulary, max_characters),
        TokenStream.from_sentences(validation_sentences, vocabulary, max_characters),
    )


def evaluate_perplexity(model, stream, seq_length, batch_size, pipeline="auto"):
    """Forward and backward perplexity (full softmax) of `model` over every window of `stream`."""
    data = make_bilm_dataset(stream, seq_length, batch_size, shuffle=False, pipeline=pipeline)
    if not model.compiled:
        model.compile(optimizer="sgd")
    result = model.evaluate(data, verbose=0, return_dict=True)
    return {
        "forward_perplexity": float(result["forward_perplexity"]),
        "backward_perplexity": float(result["backward_perplexity"]),
        "tokens": int(len(stream.windows(seq_length)) * seq_length),
    }


def train_bilm(config, output, callbacks=None):
    """Trains a biLM; returns `(model, vocabulary, metrics)` (the best checkpoint)."""
    keras.utils.set_random_seed(config["seed"])
    os.makedirs(output, exist_ok=True)
    if os.path.exists(os.path.join(output, "model.keras")) and not os.path.isdir(os.path.join(output, "backup")):
        raise ValueError(f"The run folder {output!r} holds a finished run. Pass a new `--output`.")
    vocabulary_path = os.path.join(output, "vocabulary.json")
    existing = BilmVocabulary.load(vocabulary_path) if os.path.exists(vocabulary_path) else None
    start = time.monotonic()
    vocabulary, train_stream, validation_stream = prepare_bilm_data(config, existing)
    data_s = time.monotonic() - start
    if existing is None:
        vocabulary.save(vocabulary_path)
    with open(os.path.join(output, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    seq_length, batch_size = config["seq_length"], config["batch_size"]
    train_data = make_bilm_dataset(
        train_stream, seq_length, batch_size, shuffle=True, repeat=True, seed=config["seed"], pipeline=config["pipeline"]
    )
    validation_data = make_bilm_dataset(
        validation_stream, seq_length, batch_size, shuffle=False, pipeline=config["pipeline"]
    )
    validation_batches = -(-len(validation_stream.windows(seq_length)) // batch_size)
    validation_steps = min(config["validation_steps"] or validation_batches, validation_batches)
    steps_per_epoch = config["steps_per_epoch"] or max(1, len(train_stream.windows(seq_length)) // batch_size)
    kwargs = dict(config["model_kwargs"])
    if kwargs.get("num_samples", 0) >= vocabulary.size:
        # Sampling as many words as the vocabulary holds saves nothing: use the full softmax.
        kwargs["num_samples"] = 0
    model = BILM_BUILDERS[config["model"]](vocabulary.size, seed=config["seed"], **kwargs)
    clipping = {} if config["clipnorm"] is None else {"global_clipnorm": config["clipnorm"]}
    model.compile(
        optimizer=optimizers.get(
            config["optimizer"], steps_per_epoch=steps_per_epoch, total_steps=config["epochs"] * steps_per_epoch,
            learning_rate=config["learning_rate"], **clipping,
        )
    )
    budget = TimeBudget(config["max_minutes"] * 60.0) if config["max_minutes"] else None
    throughput = TrainingThroughput()
    all_callbacks = [
        keras.callbacks.BackupAndRestore(os.path.join(output, "backup")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(os.path.join(output, "best.keras"), monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(os.path.join(output, "history.csv"), append=True),
        throughput,
        *([budget] if budget else []),
        *(callbacks or []),
    ]
    start = time.monotonic()
    history = model.fit(
        train_data,
        epochs=config["epochs"],
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        validation_steps=validation_steps,
        callbacks=all_callbacks,
        verbose=config["verbose"],
        shuffle=False,  # the pipeline shuffles
    )
    wall_s = time.monotonic() - start
    model.save(os.path.join(output, "model.keras"))
    best_path = os.path.join(output, "best.keras")
    best = keras.saving.load_model(best_path) if os.path.exists(best_path) else model
    start = time.monotonic()
    heldout = evaluate_perplexity(best, validation_stream, seq_length, batch_size, config["pipeline"])
    losses = history.history.get("loss", [])
    metrics = {
        "model": config["model"],
        "preset": config["preset"],
        "parameters": model.count_params(),
        "softmax_parameters": int(model.softmax.count_params()),
        "vocabulary_size": vocabulary.size,
        "softmax": f"sampled ({model.num_samples} words)" if model.num_samples else "full",
        "train_tokens": len(train_stream),
        "validation_tokens": heldout["tokens"],
        "validation_unknown_rate": round(validation_stream.unknown_rate(), 4),
        "validation_forward_perplexity": heldout["forward_perplexity"],
        "validation_backward_perplexity": heldout["backward_perplexity"],
        "steps": throughput.steps,
        "epochs_run": len(losses),
        "trained_tokens": throughput.steps * batch_size * seq_length,
        "train_tokens_per_s": round(throughput.steps * batch_size * seq_length / throughput.train_s, 1)
        if throughput.train_s else None,
        "fit_wall_s": round(wall_s, 1),
        "data_s": round(data_s, 1),
        "evaluation_s": round(time.monotonic() - start, 1),
        "stopped_by_time_budget": bool(budget and budget.stopped_early),
        "terminated_on_nan": any(not math.isfinite(v) for v in losses),
        "history": {key: [float(v) for v in values] for key, values in history.history.items()},
        "backend": keras.backend.backend(),
    }
    with open(os.path.join(output, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2)
    return best, vocabulary, metrics


def load_bilm_run(run_dir, which="best"):
    """Loads `(ElmoBiLM, BilmVocabulary)` from a run folder written by `train_bilm`."""
    return load_checkpoint(run_dir, which), BilmVocabulary.load(os.path.join(run_dir, "vocabulary.json"))


def is_bilm_run(run_dir):
    """Whether `run_dir` was written by `train_bilm` (its config names a biLM)."""
    return run_model_name(run_dir) in BILM_BUILDERS
