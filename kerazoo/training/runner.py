"""The one runner: a run folder, trained by any family, resumed after a kill or a time budget.

`train(config, output)` trains the family that `config["family"]` names (see
`kerazoo.models.family`). Every family's run folder holds the same files:

    config.json        the resolved configuration, naming the family and model
    vocabulary.json    the vocabulary, built once from the training data
    best.keras         the checkpoint with the best monitored metric (val_loss, or loss)
    model.keras        the model at the end of training
    backup/            BackupAndRestore state while training: rerun the same command to resume
    history.csv        one row per epoch, appended across sessions
    metrics.json       one format for every family: history, best epoch, clock, throughput,
                       the family's held-out measurements, and `finished`
    samples.txt        text sampled during training (families that generate)
    logs/              TensorBoard logs (TensorFlow backend)

and whatever the family adds when the run ends (word2vec: `vectors.bin`).

The rules, the same for every family:

- A killed run resumes from its last epoch's backup; a run stopped by
  `max_minutes` (or killed after its last epoch) goes on from `model.keras`,
  optimizer state included, when the same command runs again.
- A finished run (`metrics.json` says so) is never trained over, and a
  folder that holds another run's progress is refused.
- Nothing is written before the data loads and the model builds: a command
  that fails there leaves no run folder behind.
"""

import collections
import json
import os
import shutil
import time

import keras

from kerazoo.models.family import GENERATE
from kerazoo.models.family import read_json
from kerazoo.models.registry import family_of_config
from kerazoo.models.registry import family_of_run
from kerazoo.models.registry import run_config
from kerazoo.training.callbacks import MetricsJSON
from kerazoo.training.callbacks import SampleText
from kerazoo.training.callbacks import TimeBudget
from kerazoo.training.callbacks import any_not_finite
from kerazoo.training.callbacks import read_csv_history
from kerazoo.training.distribute import distribution_scope

# What a run folder holds from earlier sessions, read once at the start of `train`.
RunState = collections.namedtuple("RunState", ["config", "metrics", "history", "backup_epoch", "has_model"])
EMPTY_STATE = RunState(None, {}, [], None, False)


def read_run_state(output):
    """The earlier sessions of the run in `output` (all empty for a new folder)."""
    if output is None:
        return EMPTY_STATE
    backup = read_json(os.path.join(output, "backup", "training_metadata.json"))
    return RunState(
        config=read_json(os.path.join(output, "config.json")),
        metrics=read_json(os.path.join(output, "metrics.json")) or {},
        history=read_csv_history(os.path.join(output, "history.csv")),
        # A BackupAndRestore backup: the run was killed and resumes at this epoch.
        backup_epoch=int(backup.get("epoch", 0)) if backup is not None else None,
        has_model=os.path.exists(os.path.join(output, "model.keras")),
    )


def is_finished(state):
    """The one finished-run rule: metrics.json says so (older runs: a final model, no backup, no budget stop)."""
    if not state.has_model:
        return False
    if "finished" in state.metrics:
        return bool(state.metrics["finished"])
    return state.backup_epoch is None and not state.metrics.get("stopped_by_time_budget")


def _check_run_dir(output, config, state, family):
    """Refuses a run folder that holds another run's progress, or a finished run."""
    progress = state.has_model or state.backup_epoch is not None or state.history
    if state.config is not None and progress:
        old = dict(state.config)
        old.setdefault("family", config["family"])  # runs from before families were recorded
        changed = [key for key in family.identity if old.get(key) != config.get(key)]
        if changed:
            raise ValueError(
                f"The run folder {output!r} holds a run with other {changed}; "
                "resume it with the same settings or pass a new `--output`."
            )
    if is_finished(state):
        # Training again here would start a new model over the finished one.
        raise ValueError(
            f"The run folder {output!r} holds a finished run (it holds a trained model that training again "
            "would overwrite). Pass a new `--output`, or move that folder away first."
        )


def train(config, output, callbacks=None, corpus=None):
    """Trains the model `config` describes, resuming from `output` where it left off.

    Args:
        config: dict from `Family.resolve_config` (or `kerazoo.training.resolve_config`).
        output: str or None. The run folder; None trains in memory and writes nothing.
        callbacks: list of extra Keras callbacks.
        corpus: an in-memory corpus that replaces `config["corpus"]` (see the
            family's `prepare`), or None.

    Returns:
        `(model, vocabulary, metrics)`: the model at the end of training, its
        vocabulary, and the dict written to `metrics.json`.
    """
    family = family_of_config(config)
    # Multi-worker engines set up their collectives first, before any other TF or JAX work.
    with distribution_scope(config.get("distribute", "none")) as replicas:
        return _train(family, config, output, callbacks, replicas, corpus)


def _train(family, config, output, callbacks, replicas, corpus):
    start = time.perf_counter()
    keras.utils.set_random_seed(config["seed"])
    state = read_run_state(output)
    _check_run_dir(output, config, state, family)
    # A run that stopped after an epoch (its time budget, or a kill after the last backup)
    # goes on from its final model, optimizer state included; a killed run resumes from its backup.
    continuing = state.has_model and state.backup_epoch is None
    initial_epoch = len(state.history) if continuing else 0
    vocabulary_path = os.path.join(output, family.vocabulary_file) if output else None
    vocabulary = family.load_vocabulary(vocabulary_path) if output and os.path.exists(vocabulary_path) else None
    data = family.prepare(
        config,
        vocabulary,
        initial_epoch=max(state.backup_epoch or 0, initial_epoch),
        replicas=replicas,
        corpus=corpus,
    )
    data_s = time.perf_counter() - start
    if continuing:
        model = keras.saving.load_model(os.path.join(output, "model.keras"))
    else:
        model = family.compile(family.build(config, data), config, data)

    created = output is not None and not os.path.isdir(output)
    try:
        metrics_callback, all_callbacks, budget = _start_run(
            family, config, output, model, data, state, replicas, data_s, start, callbacks
        )
    except BaseException:
        if created:
            # Nothing was trained: leave no folder that a corrected rerun would be refused by.
            shutil.rmtree(output, ignore_errors=True)
        raise
    fit_start = time.monotonic()
    history = family.fit(model, data, config, all_callbacks, initial_epoch)
    wall = time.monotonic() - fit_start

    best = model
    if output is not None:
        model.save(os.path.join(output, "model.keras"))
        best_path = os.path.join(output, "best.keras")
        if not os.path.exists(best_path):
            model.save(best_path)
        elif family.evaluates:
            best = keras.saving.load_model(best_path)
    stopped = bool(budget and budget.stopped_early)
    evaluation = family.evaluate(best, data, config) if family.evaluates else {}
    if output is not None:
        family.finish_run(output, model, data, config)
    wall_before = state.metrics.get("wall_s_before_session", 0.0) + state.metrics.get("wall_s_this_session", 0.0)
    metrics_callback.extra = {
        **evaluation,
        "wall_s": round(wall, 2),
        "wall_s_total": round(wall_before + wall, 2),
        "stopped_by_time_budget": stopped,
        "terminated_on_nan": any_not_finite(history),
        # Written last: a run stopped by its budget goes on when the same command runs again.
        "finished": not stopped,
    }
    return model, data.vocabulary, metrics_callback.write()


def _start_run(family, config, output, model, data, state, replicas, data_s, start, callbacks):
    """Writes the run's config and vocabulary, and makes its callbacks."""
    wall_before = state.metrics.get("wall_s_before_session", 0.0) + state.metrics.get("wall_s_this_session", 0.0)
    static = {
        "family": family.name,
        "model": config["model"],
        "training_config": config.get("training_config"),
        "config": config,
        "parameters": model.count_params(),
        **data.facts,
        "backend": keras.backend.backend(),
        "replicas": replicas,
        "data_s": round(data_s, 2),
        "wall_s_before_session": round(wall_before, 2),
        "steps_before_session": state.metrics.get("steps", 0),
        "finished": False,
    }
    run_files = output is not None
    if run_files:
        os.makedirs(output, exist_ok=True)
        vocabulary_path = os.path.join(output, family.vocabulary_file)
        if not os.path.exists(vocabulary_path):
            data.vocabulary.save(vocabulary_path)
        with open(os.path.join(output, "config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
    csv_path = os.path.join(output, "history.csv") if run_files else None
    metrics_callback = MetricsJSON(
        os.path.join(output, "metrics.json") if run_files else None,
        csv_path,
        static=static,
        units=family.units,
        units_per_step=data.units_per_step,
        monitor=family.monitor,
        start=start,
    )
    all_callbacks = []
    if run_files:
        # A resumed run keeps the best checkpoint it had unless it beats its score.
        earlier = [row[family.monitor] for row in state.history if row.get(family.monitor) is not None]
        all_callbacks += [
            # BackupAndRestore first, so that a resumed run restores before the others start.
            keras.callbacks.BackupAndRestore(os.path.join(output, "backup"), save_freq="epoch"),
            keras.callbacks.ModelCheckpoint(
                os.path.join(output, "best.keras"),
                monitor=family.monitor,
                save_best_only=True,
                initial_value_threshold=min(earlier) if earlier else None,
            ),
            keras.callbacks.CSVLogger(csv_path, append=True),
        ]
    all_callbacks.append(keras.callbacks.TerminateOnNaN())
    if GENERATE in family.capabilities and config.get("sample_every"):
        vocabulary = data.vocabulary

        def sample(model, prompt, length, temperature, seed):
            return family.sample(model, vocabulary, prompt, length, temperature, seed)

        all_callbacks.append(
            SampleText(
                sample,
                every=config["sample_every"],
                length=config["sample_length"],
                prompt=config.get("sample_prompt", "\n"),
                path=os.path.join(output, "samples.txt") if run_files else None,
                seed=config["seed"],
            )
        )
    all_callbacks.append(metrics_callback)
    if run_files and keras.backend.backend() == "tensorflow":
        all_callbacks.append(keras.callbacks.TensorBoard(os.path.join(output, "logs")))
    budget = None
    if config.get("max_minutes"):
        budget = TimeBudget(config["max_minutes"] * 60.0)
        all_callbacks.append(budget)
    all_callbacks.extend(callbacks or [])
    build_input = family.build_input(config)
    if build_input is not None:
        # BackupAndRestore needs a built model; one batch-shaped call builds it.
        model(build_input)
    return metrics_callback, all_callbacks, budget


# --- Reading run folders ---


def load_checkpoint(run_dir, which="best"):
    """The `best.keras` or final `model.keras` of any run folder, uncompiled."""
    if which not in ("best", "final"):
        raise ValueError(f"`which` must be 'best' or 'final'. Received: which={which!r}")
    path = os.path.join(run_dir, "best.keras" if which == "best" else "model.keras")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No trained model in {run_dir!r}: {os.path.basename(path)} is missing. "
            "Train one with `kerazoo train MODEL --output RUN_DIR`."
        )
    return keras.saving.load_model(path, compile=False)


def load_run(run_dir, which="best", family=None):
    """Loads `(model, vocabulary)` from a run folder of any family.

    Args:
        run_dir: str. A folder written by `train`.
        which: str. `"best"` or `"final"`.
        family: the run's family when the caller knows it already, or None to read it from `config.json`.
    """
    family = family or family_of_run(run_dir)
    model = load_checkpoint(run_dir, which)
    if family is None:
        raise FileNotFoundError(f"No run in {run_dir!r}: config.json is missing.")
    return model, family.load_vocabulary(os.path.join(run_dir, family.vocabulary_file))


def run_model_name(run_dir):
    """The `model` its `config.json` names, or None for a folder that holds no run."""
    config = run_config(run_dir)
    return None if config is None else config.get("model")
