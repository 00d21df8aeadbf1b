"""Training of the char models with `model.fit`: the one entry point the CLI and recipes call.

A run folder holds everything a run makes:

    config.json        the resolved configuration
    vocabulary.json    the character vocabulary, built once from the train split
    best.keras         the checkpoint with the lowest validation loss
    model.keras        the weights at the end of training
    backup/            BackupAndRestore state: rerun the same command to resume
    history.csv        one row per epoch (appended across resumes)
    metrics.json       history, best validation loss and bits/char, throughput
    samples.txt        text sampled during training
    logs/              TensorBoard logs (TensorFlow backend)
"""

import collections
import copy
import json
import math
import os
import time

import keras

from kerazoo import optimizers
from kerazoo.data.corpora import load_corpus
from kerazoo.data.pipeline import make_dataset
from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.models.registry import BUILDERS
from kerazoo.models.registry import PRESETS
from kerazoo.training.callbacks import MetricsJSON
from kerazoo.training.callbacks import SampleText
from kerazoo.training.callbacks import TimeBudget
from kerazoo.training.callbacks import read_csv_history
from kerazoo.training.distribute import check_distribute
from kerazoo.training.distribute import distribution_scope
from kerazoo.training.metrics import BitsPerCharacter

# Flat, commented defaults; a preset overrides them, the command line overrides both.
TRAINING_DEFAULTS = {
    "corpus": "shakespeare",  # "shakespeare", "tiny_shakespeare" or a text file
    "data_dir": None,  # tensorflow-datasets folder
    "validation_split": "validation",  # or "heldout" (validation + test: nanoGPT's val)
    "seq_length": 100,  # characters per training window (truncated BPTT length)
    "batch_size": 64,
    "epochs": 10,
    "steps_per_epoch": None,  # None: one pass over the training windows
    "validation_steps": None,  # None: the whole validation split
    "optimizer": "adam",  # a kerazoo.optimizers recipe
    "learning_rate": None,  # None: the recipe's default
    "clipnorm": 5.0,  # clip the global gradient norm (Keras's global_clipnorm); 0 is off
    "clipvalue": None,  # or clamp each gradient element, as char-rnn does; replaces clipnorm
    "seed": 0,
    "sample_every": 500,  # steps between printed samples; 0 is off
    "sample_length": 200,
    "sample_prompt": "\n",
    "max_minutes": None,  # stop after this much wall time
    "pipeline": "auto",  # "tf", "numpy", or "auto" (tf.data on TensorFlow)
    "sampling": "windows",  # "windows" (char-rnn's fixed windows) or "random" starts (nanoGPT)
    "steps_per_execution": 1,  # training steps per compiled call; more cuts per-step overhead
    "jit_compile": "auto",  # XLA: True, False or "auto" (Keras decides)
    "distribute": "none",  # "mirrored" (local devices) or "multi-worker": data parallel, docs/backends.md
    "verbose": 1,
}
# What must not change when a run folder is resumed.
_RUN_IDENTITY = ("model", "model_kwargs", "corpus", "seq_length", "optimizer", "validation_split")


def select_preset(presets, builders, model, preset, default_model, training, defaults):
    """Checks the model, preset and setting names of a run; returns (model, the preset's dict).

    Shared by every trainer: `model` may be left out when `preset` names it,
    and the two must agree when both are given.
    """
    preset_config = {"model_kwargs": {}, "training": {}}
    if preset is not None:
        if preset not in presets:
            raise ValueError(f"`preset` must be one of {sorted(presets)}. Received: preset={preset!r}")
        preset_config = presets[preset]
        if model is not None and model != preset_config["model"]:
            raise ValueError(f"Preset {preset!r} is a {preset_config['model']} model. Received: model={model!r}")
        model = preset_config["model"]
    model = model or default_model
    if model not in builders:
        raise ValueError(f"`model` must be one of {sorted(builders)}. Received: model={model!r}")
    unknown = set(training) - set(defaults)
    if unknown:
        raise ValueError(f"Unknown training settings: {sorted(unknown)}. Known: {sorted(defaults)}")
    return model, preset_config


def resolve_config(model=None, preset=None, model_kwargs=None, **training):
    """Merges defaults, a preset and explicit settings into one run configuration.

    Args:
        model: str or None. `"simple_rnn"`, `"lstm"`, `"gru"` or `"gpt"`; taken from the
            preset when None.
        preset: str or None. A name in `kerazoo.models.registry.PRESETS`.
        model_kwargs: dict or None. Builder arguments on top of the preset's.
        **training: settings on top of `TRAINING_DEFAULTS`; None values are ignored.

    Returns:
        dict with `model`, `preset`, `model_kwargs` and every training setting.
    """
    model, preset_config = select_preset(PRESETS, BUILDERS, model, preset, "lstm", training, TRAINING_DEFAULTS)
    config = dict(TRAINING_DEFAULTS)
    config.update(copy.deepcopy(preset_config["training"]))
    explicit = {key: value for key, value in training.items() if value is not None}
    config.update(explicit)
    recipe = optimizers.get_recipe(config["optimizer"])  # an unknown name fails before any file is written
    if not {"clipnorm", "clipvalue"} & (set(explicit) | set(preset_config["training"])):
        # Neither the command line nor the preset clips: the recipe's clipping holds.
        config["clipnorm"] = recipe.defaults.get("global_clipnorm", config["clipnorm"])
        config["clipvalue"] = recipe.defaults.get("clipvalue", config["clipvalue"])
    # Keras takes one kind of clipping: an explicit or preset clipvalue replaces
    # the default clipnorm, and asking for both at once is an error.
    if config["clipvalue"] is not None:
        if "clipnorm" in explicit and explicit["clipnorm"]:
            raise ValueError(
                "Set either `clipnorm` or `clipvalue`, not both. "
                f"Received: clipnorm={explicit['clipnorm']}, clipvalue={config['clipvalue']}"
            )
        config["clipnorm"] = None
    if config["clipnorm"] == 0:
        config["clipnorm"] = None
    kwargs = copy.deepcopy(preset_config["model_kwargs"])
    kwargs.update(model_kwargs or {})
    config.update({"model": model, "preset": preset, "model_kwargs": kwargs})
    _check_positive(config, ("seq_length", "batch_size", "epochs", "steps_per_execution"))
    context = kwargs.get("max_sequence_length", 256 if model == "gpt" else None)
    if model == "gpt" and context is not None and config["seq_length"] > context:
        raise ValueError(
            f"`seq_length` must be <= the GPT's `max_sequence_length` ({context}). "
            f"Received: seq_length={config['seq_length']}"
        )
    _check_positive(
        config,
        ("steps_per_epoch", "validation_steps", "max_minutes", "learning_rate", "clipnorm", "clipvalue"),
        allow_none=True,
    )
    check_distribute(config["distribute"])
    if config["sample_every"] < 0:
        raise ValueError(f"`sample_every` must be >= 0 (0 is off). Received: sample_every={config['sample_every']}")
    return config


def _check_positive(config, names, allow_none=False):
    for name in names:
        value = config[name]
        if value is None and allow_none:
            continue
        if value is None or value <= 0:
            raise ValueError(f"`{name}` must be > 0. Received: {name}={value!r}")


def build_model(config, vocabulary_size):
    return BUILDERS[config["model"]](vocabulary_size, **config["model_kwargs"])


def compile_model(model, config, steps_per_epoch=None):
    """Compiles `model` with the config's optimizer recipe, loss and metrics.

    `steps_per_epoch` (default: the config's) tells a scheduled recipe how
    long an epoch and the run are: char-rnn's decay counts epochs, nanoGPT's
    cosine spans the run.
    """
    steps_per_epoch = steps_per_epoch or config["steps_per_epoch"]
    optimizer = optimizers.get(
        config["optimizer"],
        steps_per_epoch=steps_per_epoch,
        total_steps=config["epochs"] * steps_per_epoch if steps_per_epoch else None,
        learning_rate=config["learning_rate"],
        global_clipnorm=config["clipnorm"],
        clipvalue=config["clipvalue"],
    )
    if getattr(optimizer, "weight_decay", None):
        # Decoupled weight decay on matrices and embeddings only, never on
        # biases or layer-norm scales (nanoGPT's configure_optimizers, GPT-2).
        optimizer.exclude_from_weight_decay(var_list=[v for v in model.trainable_variables if len(v.shape) < 2])
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"), BitsPerCharacter()],
        steps_per_execution=config.get("steps_per_execution", 1),
        jit_compile=config.get("jit_compile", "auto"),
    )
    return model


# What a run folder holds from earlier sessions, read once at the start of `train`.
RunState = collections.namedtuple(
    "RunState", ["config", "metrics", "history", "backup_epoch", "has_model"]
)


def _read_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_run_state(output):
    """The earlier sessions of the run in `output` (all empty for a new folder)."""
    backup = _read_json(os.path.join(output, "backup", "training_metadata.json"))
    return RunState(
        config=_read_json(os.path.join(output, "config.json")),
        metrics=_read_json(os.path.join(output, "metrics.json")) or {},
        history=read_csv_history(os.path.join(output, "history.csv")),
        # A BackupAndRestore backup: the run was killed and resumes at this epoch.
        backup_epoch=int(backup.get("epoch", 0)) if backup is not None else None,
        has_model=os.path.exists(os.path.join(output, "model.keras")),
    )


def _stopped_by_budget(state):
    """Whether the run stopped at `--max-minutes` and can go on from its final model."""
    return state.has_model and bool(state.metrics.get("stopped_by_time_budget"))


def _check_run_dir(output, config, state):
    """Refuses a run folder that holds another run, or a finished one."""
    if state.config is not None:
        changed = [key for key in _RUN_IDENTITY if state.config.get(key) != config.get(key)]
        if changed:
            raise ValueError(
                f"The run folder {output!r} holds a run with other {changed}; "
                "resume it with the same settings or pass a new `--output`."
            )
    resumable = state.backup_epoch is not None or _stopped_by_budget(state)
    if state.has_model and not resumable:
        # Training again here would start a new model over the finished one.
        raise ValueError(
            f"The run folder {output!r} holds a finished run. Pass a new `--output`, "
            "or move that folder away first."
        )


def train(config, output, callbacks=None):
    """Trains a char model with `model.fit`, resuming from `output` if it holds a backup.

    Args:
        config: dict from `resolve_config`.
        output: str. The run folder.
        callbacks: list of extra Keras callbacks.

    Returns:
        `(model, vocabulary, metrics)`: the trained model, its vocabulary and
        the dict written to `metrics.json`.
    """
    # Multi-worker engines set up their collectives first, before any other TF or JAX work.
    with distribution_scope(config.get("distribute", "none")) as replicas:
        return _train(config, output, callbacks, replicas)


def _train(config, output, callbacks, replicas):
    keras.utils.set_random_seed(config["seed"])
    state = read_run_state(output)
    _check_run_dir(output, config, state)
    corpus = load_corpus(config["corpus"], data_dir=config["data_dir"])
    os.makedirs(output, exist_ok=True)
    vocabulary_path = os.path.join(output, "vocabulary.json")
    if os.path.exists(vocabulary_path):
        vocabulary = CharVocabulary.load(vocabulary_path)
    else:
        vocabulary = CharVocabulary.from_text(corpus.train)
        vocabulary.save(vocabulary_path)

    seq_length, batch_size = config["seq_length"], config["batch_size"]
    train_ids = vocabulary.encode(corpus.train)
    validation_ids = vocabulary.encode(corpus.split(config["validation_split"]))
    # A run stopped by its time budget goes on from its final model, optimizer state
    # included; a killed run resumes from its backup (BackupAndRestore, below).
    continuing = _stopped_by_budget(state) and state.backup_epoch is None
    initial_epoch = len(state.history) if continuing else 0
    # A resumed run must not replay the first epochs' order: derive its shuffle seed from the epoch.
    resumed_epoch = max(state.backup_epoch or 0, initial_epoch)
    train_data = make_dataset(
        train_ids,
        seq_length,
        batch_size,
        shuffle=True,
        repeat=True,
        seed=config["seed"] + 1_000_003 * resumed_epoch,
        pipeline=config["pipeline"],
        sampling=config["sampling"],
    )
    try:
        validation_data = make_dataset(
            validation_ids, seq_length, batch_size, shuffle=False, pipeline=config["pipeline"]
        )
    except ValueError as error:
        raise ValueError(f"Validation split {config['validation_split']!r}: {error}") from None
    validation_steps = config["validation_steps"]
    if replicas > 1:
        # Replicas take equal slices of a batch, so a distributed run validates on full batches only.
        full_batches = ((len(validation_ids) - 1) // seq_length) // batch_size
        if full_batches < 1:
            raise ValueError(
                f"A distributed run validates on full batches only, and the validation split gives fewer "
                f"than `batch_size`={batch_size} windows. Use a smaller batch_size or more text."
            )
        validation_steps = min(validation_steps or full_batches, full_batches)
    # Written once the data is known to load, so a failed start leaves no half-made run.
    with open(os.path.join(output, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    steps_per_epoch = config["steps_per_epoch"] or max(1, (len(train_ids) - 1) // seq_length // batch_size)

    if continuing:
        model = keras.saving.load_model(os.path.join(output, "model.keras"))
    else:
        model = compile_model(build_model(config, vocabulary.size), config, steps_per_epoch)
    wall_before = state.metrics.get("wall_s_before_session", 0.0) + state.metrics.get("wall_s_this_session", 0.0)
    csv_path = os.path.join(output, "history.csv")
    # A resumed run keeps the best checkpoint it had unless it beats its loss.
    earlier = [row["val_loss"] for row in state.history if row.get("val_loss") is not None]
    metrics_callback = MetricsJSON(
        os.path.join(output, "metrics.json"),
        csv_path,
        static={
            "config": config,
            "parameters": model.count_params(),
            "vocabulary_size": vocabulary.size,
            "corpus_chars": {"train": len(corpus.train), "validation": len(validation_ids)},
            "backend": keras.backend.backend(),
            "replicas": replicas,
            "wall_s_before_session": round(wall_before, 2),
        },
        chars_per_step=seq_length * batch_size,
    )
    all_callbacks = [
        # BackupAndRestore first, so that a resumed run restores before the others start.
        keras.callbacks.BackupAndRestore(os.path.join(output, "backup"), save_freq="epoch"),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(
            os.path.join(output, "best.keras"),
            monitor="val_loss",
            save_best_only=True,
            initial_value_threshold=min(earlier) if earlier else None,
        ),
        keras.callbacks.CSVLogger(csv_path, append=True),
        SampleText(
            vocabulary,
            every=config["sample_every"],
            length=config["sample_length"],
            prompt=config["sample_prompt"],
            path=os.path.join(output, "samples.txt"),
            seed=config["seed"],
        ),
        metrics_callback,
    ]
    if keras.backend.backend() == "tensorflow":
        all_callbacks.append(keras.callbacks.TensorBoard(os.path.join(output, "logs")))
    budget = None
    if config["max_minutes"]:
        budget = TimeBudget(config["max_minutes"] * 60.0)
        all_callbacks.append(budget)
    all_callbacks.extend(callbacks or [])

    # BackupAndRestore needs a built model; one batch-shaped call builds it.
    model(keras.ops.zeros((1, seq_length), dtype="int32"))
    start = time.monotonic()
    history = model.fit(
        train_data,
        epochs=config["epochs"],
        initial_epoch=initial_epoch,
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        validation_steps=validation_steps,
        callbacks=all_callbacks,
        verbose=config["verbose"],
        shuffle=False,  # the pipeline shuffles
    )
    wall = time.monotonic() - start
    model.save(os.path.join(output, "model.keras"))
    if not os.path.exists(os.path.join(output, "best.keras")):
        model.save(os.path.join(output, "best.keras"))
    metrics_callback.extra = {
        "wall_s": round(wall, 2),
        "wall_s_total": round(wall_before + wall, 2),
        "stopped_by_time_budget": bool(budget and budget.stopped_early),
        "terminated_on_nan": any(
            not math.isfinite(value) for value in history.history.get("loss", [0.0])
        ),
    }
    return model, vocabulary, metrics_callback.write()


def load_checkpoint(run_dir, which="best"):
    """The `best.keras` (lowest validation loss) or final `model.keras` of any run folder, uncompiled."""
    if which not in ("best", "final"):
        raise ValueError(f"`which` must be 'best' or 'final'. Received: which={which!r}")
    path = os.path.join(run_dir, "best.keras" if which == "best" else "model.keras")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No trained model in {run_dir!r}: {os.path.basename(path)} is missing. "
            "Train one with `kerazoo train MODEL --output RUN_DIR`."
        )
    return keras.saving.load_model(path, compile=False)


def run_model_name(run_dir):
    """The `model` its `config.json` names, or None for a folder that holds no run."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f).get("model")


def load_run(run_dir, which="best"):
    """Loads a trained model and its vocabulary from a run folder.

    Args:
        run_dir: str. A folder written by `train`.
        which: str. `"best"` (lowest validation loss) or `"final"`.
    """
    model = load_checkpoint(run_dir, which)
    return model, CharVocabulary.load(os.path.join(run_dir, "vocabulary.json"))
