"""Training of the sequence-to-sequence models with `model.fit`, scored by exact match on a held-out test set.

A run folder holds `config.json`, `vocabulary.json` (a `PairVocabulary`),
`best.keras` (lowest validation loss), `model.keras`, `history.csv`,
`backup/` (rerun the same command to resume) and `metrics.json` with the test
exact match of the best checkpoint.
"""

import copy
import json
import os
import time

import keras
import numpy as np

from kerazoo import optimizers
from kerazoo.data.dates import date_splits
from kerazoo.data.seq2seq import PairVocabulary
from kerazoo.models.registry import SEQ2SEQ_BUILDERS
from kerazoo.models.registry import SEQ2SEQ_PRESETS
from kerazoo.training.callbacks import TimeBudget
from kerazoo.training.trainer import load_checkpoint
from kerazoo.training.trainer import run_model_name
from kerazoo.training.trainer import select_preset

SEQ2SEQ_DEFAULTS = {
    "task": "dates",  # the generated dates -> ISO 8601 task, or a TSV file of "source<TAB>target" lines
    "train_size": 50_000,  # dates task: training pairs (5% of them validate)
    "test_size": 2_000,  # held-out pairs (dates: days never seen in training)
    "epochs": 6,
    "batch_size": 64,
    "optimizer": "adam",  # a kerazoo.optimizers recipe
    "learning_rate": None,
    "clipnorm": 1.0,
    "seed": 0,
    "beam_width": 1,  # test decoding: 1 is greedy search
    "max_minutes": None,
    "verbose": 1,
}


def resolve_seq2seq_config(model=None, preset=None, model_kwargs=None, **training):
    """Merges defaults, a preset of `SEQ2SEQ_PRESETS` and explicit settings (None values are ignored)."""
    model, preset_config = select_preset(
        SEQ2SEQ_PRESETS, SEQ2SEQ_BUILDERS, model, preset, "transformer", training, SEQ2SEQ_DEFAULTS
    )
    config = dict(SEQ2SEQ_DEFAULTS)
    config.update(copy.deepcopy(preset_config["training"]))
    config.update({key: value for key, value in training.items() if value is not None})
    kwargs = copy.deepcopy(preset_config["model_kwargs"])
    kwargs.update(model_kwargs or {})
    config.update({"model": model, "preset": preset, "model_kwargs": kwargs})
    for name in ("epochs", "batch_size", "train_size", "test_size", "beam_width"):
        if int(config[name]) != config[name] or config[name] < 1:
            raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={config[name]!r}")
    return config


def load_pairs(config):
    """`(train, test)` pairs for the config's task."""
    if config["task"] == "dates":
        return date_splits(config["train_size"], config["test_size"], seed=config["seed"])
    path = config["task"]
    if not os.path.isfile(path):
        raise FileNotFoundError(f"`task` must be 'dates' or a TSV file of source<TAB>target lines. Received: task={path!r}")
    with open(path, encoding="utf-8") as f:
        pairs = [tuple(line.rstrip("\n").split("\t", 1)) for line in f if "\t" in line]
    if len(pairs) < 2:
        raise ValueError(f"{path!r} holds {len(pairs)} source<TAB>target lines; at least 2 are needed.")
    order = np.random.default_rng(config["seed"]).permutation(len(pairs))
    test_count = min(config["test_size"], max(1, len(pairs) // 10))
    return [pairs[i] for i in order[test_count:]], [pairs[i] for i in order[:test_count]]


def exact_match(model, vocabulary, pairs, beam_width=1, batch_size=500):
    """The fraction of `pairs` whose translation equals the target exactly."""
    from kerazoo.generation.translate import translate

    hits = 0
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        outputs = translate(model, vocabulary, [s for s, _ in chunk], beam_width=beam_width)
        hits += sum(output == target for output, (_, target) in zip(outputs, chunk))
    return hits / len(pairs)


def train_seq2seq(config, output, callbacks=None):
    """Trains a sequence-to-sequence model; returns `(model, vocabulary, metrics)`."""
    keras.utils.set_random_seed(config["seed"])
    train_pairs, test_pairs = load_pairs(config)
    os.makedirs(output, exist_ok=True)
    if os.path.exists(os.path.join(output, "model.keras")) and not os.path.isdir(os.path.join(output, "backup")):
        raise ValueError(f"The run folder {output!r} holds a finished run. Pass a new `--output`.")
    vocabulary_path = os.path.join(output, "vocabulary.json")
    if os.path.exists(vocabulary_path):
        vocabulary = PairVocabulary.load(vocabulary_path)
    else:
        vocabulary = PairVocabulary.from_pairs(train_pairs)
        vocabulary.save(vocabulary_path)
    longest_target = max(len(t) for _, t in train_pairs + test_pairs) + 1
    kwargs = dict(config["model_kwargs"])
    kwargs.setdefault("max_sequence_length", longest_target + 1)
    if kwargs["max_sequence_length"] <= longest_target:
        raise ValueError(
            f"`max_sequence_length` must exceed the longest target plus its end token ({longest_target}). "
            f"Received: max_sequence_length={kwargs['max_sequence_length']}"
        )
    with open(os.path.join(output, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    validation_count = max(1, len(train_pairs) // 20)
    fit_pairs, validation_pairs = train_pairs[validation_count:], train_pairs[:validation_count]
    x, y = vocabulary.encode_pairs(fit_pairs, target_length=longest_target)
    val_x, val_y = vocabulary.encode_pairs(validation_pairs, target_length=longest_target)
    model = SEQ2SEQ_BUILDERS[config["model"]](vocabulary.source.size, vocabulary.target.size, **kwargs)
    model.compile(
        optimizer=optimizers.get(config["optimizer"], learning_rate=config["learning_rate"],
                                 global_clipnorm=config["clipnorm"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    budget = TimeBudget(config["max_minutes"] * 60.0) if config["max_minutes"] else None
    all_callbacks = [
        keras.callbacks.BackupAndRestore(os.path.join(output, "backup")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(os.path.join(output, "best.keras"), monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(os.path.join(output, "history.csv"), append=True),
        *([budget] if budget else []),
        *(callbacks or []),
    ]
    start = time.monotonic()
    history = model.fit(
        x, y, batch_size=config["batch_size"], epochs=config["epochs"], validation_data=(val_x, val_y),
        callbacks=all_callbacks, verbose=config["verbose"], shuffle=True,
    )
    train_s = time.monotonic() - start
    model.save(os.path.join(output, "model.keras"))
    best = keras.saving.load_model(os.path.join(output, "best.keras"), compile=False)
    start = time.monotonic()
    match = exact_match(best, vocabulary, test_pairs, beam_width=config["beam_width"])
    metrics = {
        "model": config["model"],
        "preset": config["preset"],
        "parameters": model.count_params(),
        "train_pairs": len(fit_pairs),
        "test_pairs": len(test_pairs),
        "test_exact_match": match,
        "beam_width": config["beam_width"],
        "best_val_loss": float(min(history.history["val_loss"])),
        "epochs_run": len(history.history["loss"]),
        "train_s": round(train_s, 2),
        "test_decode_s": round(time.monotonic() - start, 2),
        "stopped_by_time_budget": bool(budget and budget.stopped_early),
        "backend": keras.backend.backend(),
    }
    with open(os.path.join(output, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2)
    return best, vocabulary, metrics


def load_seq2seq_run(run_dir, which="best"):
    """Loads `(model, PairVocabulary)` from a run folder written by `train_seq2seq`."""
    return load_checkpoint(run_dir, which), PairVocabulary.load(os.path.join(run_dir, "vocabulary.json"))


def is_seq2seq_run(run_dir):
    """Whether `run_dir` was written by `train_seq2seq` (its config names a sequence-to-sequence model)."""
    return run_model_name(run_dir) in SEQ2SEQ_BUILDERS
