import json
import math
import os

import numpy as np
import pytest

from kerazoo.data.corpora import load_corpus
from kerazoo.data.pipeline import make_dataset
from kerazoo.training import load_run
from kerazoo.training import resolve_config
from kerazoo.models.char_rnn.char_rnn_evaluation import streaming_loss
from kerazoo.training import train
from kerazoo.training.callbacks import read_csv_history
from tests.test_case import run_python

TINY_MODEL = {"units": 8, "num_layers": 1, "embedding_dim": 4}


def evaluate_best(run, corpus_path, seq_length=10, batch_size=4):
    """The validation loss of a run's best.keras, computed as fit computes val_loss."""
    import keras

    model, vocabulary = load_run(run)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ids = vocabulary.encode(load_corpus(corpus_path).validation)
    return model.evaluate(make_dataset(ids, seq_length, batch_size, shuffle=False), verbose=0)


def tiny_config(corpus, **overrides):
    settings = dict(
        corpus=corpus,
        seq_length=10,
        batch_size=4,
        epochs=2,
        steps_per_epoch=3,
        sample_every=3,
        sample_length=20,
        verbose=0,
        learning_rate=0.01,
    )
    settings.update(overrides)
    return resolve_config(model="lstm", model_kwargs=dict(TINY_MODEL), **settings)


def test_a_run_folder_holds_what_it_should(tiny_text_file, tmp_path):
    run = str(tmp_path / "run")
    model, vocabulary, metrics = train(tiny_config(tiny_text_file), run)
    for name in ("config.json", "vocabulary.json", "best.keras", "model.keras", "history.csv", "metrics.json", "samples.txt"):
        assert os.path.exists(os.path.join(run, name)), name
    assert metrics["steps"] == 6 and metrics["epochs_completed"] == 2
    for row in metrics["history"]:
        # bits per character is the loss in nats over ln 2.
        assert row["bpc"] == pytest.approx(row["loss"] / math.log(2), rel=1e-3)
        assert row["val_bpc"] == pytest.approx(row["val_loss"] / math.log(2), rel=1e-3)
        assert 0.0 <= row["accuracy"] <= 1.0
    assert metrics["best_val_loss"] == min(row["val_loss"] for row in metrics["history"])
    with open(os.path.join(run, "samples.txt"), encoding="utf-8") as f:
        assert "sample at step 3" in f.read()
    restored, restored_vocabulary = load_run(run)
    assert restored_vocabulary == vocabulary
    # The best checkpoint scores the validation loss recorded for its epoch.
    assert evaluate_best(run, tiny_text_file) == pytest.approx(metrics["best_val_loss"], rel=1e-4)
    # With the state carried, no character is predicted from a cold start, so the loss is no worse.
    validation_ids = vocabulary.encode(load_corpus(tiny_text_file).validation)
    assert streaming_loss(restored, validation_ids, streams=1)["loss"] <= metrics["best_val_loss"] + 0.05


def test_tensorboard_logs_loss_accuracy_and_bpc(tiny_text_file, tmp_path):
    import tensorflow as tf

    run = str(tmp_path / "run")
    train(tiny_config(tiny_text_file, epochs=1, sample_every=0), run)
    tags = set()
    for folder in ("train", "validation"):
        directory = os.path.join(run, "logs", folder)
        for name in os.listdir(directory):
            for event in tf.compat.v1.train.summary_iterator(os.path.join(directory, name)):
                tags.update(value.tag for value in event.summary.value)
    assert {"epoch_loss", "epoch_accuracy", "epoch_bpc"} <= tags


def test_runs_are_reproducible_from_the_seed(tiny_text_file, tmp_path):
    first = train(tiny_config(tiny_text_file, seed=3, sample_every=0), str(tmp_path / "a"))[2]
    second = train(tiny_config(tiny_text_file, seed=3, sample_every=0), str(tmp_path / "b"))[2]
    losses = [row["loss"] for row in first["history"]]
    assert losses == [row["loss"] for row in second["history"]]


KILLED_RUN = r"""
import os, signal, sys
import keras
from kerazoo.training import resolve_config, train

class KillDuringEpoch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) == KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)

config = resolve_config(model="lstm", model_kwargs=MODEL, corpus=CORPUS, seq_length=10, batch_size=4,
                        epochs=4, steps_per_epoch=3, sample_every=0, verbose=0, learning_rate=0.01)
train(config, RUN, callbacks=[KillDuringEpoch()] if KILL_AT else [])
"""


def test_training_resumes_after_a_kill(tiny_text_file, tmp_path):
    run = str(tmp_path / "run")

    def script(kill_at):
        return (
            KILLED_RUN.replace("KILL_AT", str(kill_at))
            .replace("MODEL", repr(TINY_MODEL))
            .replace("CORPUS", repr(tiny_text_file))
            .replace("RUN", repr(run))
        )

    killed = run_python(script(kill_at=8))  # in the third epoch, after the backup of step 6
    assert killed.returncode == -9, killed.stderr[-2000:]
    before = read_csv_history(os.path.join(run, "history.csv"))
    assert [row["epoch"] for row in before] == [0, 1]

    resumed = run_python(script(kill_at=0))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    history = read_csv_history(os.path.join(run, "history.csv"))
    assert [row["epoch"] for row in history] == [0, 1, 2, 3]
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    # 4 epochs of 3 steps: the steps of the two backed-up epochs were kept, none repeated.
    assert metrics["steps"] == 12
    # The curve continues from where it stopped instead of starting over.
    assert history[2]["loss"] < history[0]["loss"]
    # best.keras is still the best epoch of the whole run, across the kill.
    best = min(row["val_loss"] for row in history)
    assert evaluate_best(run, tiny_text_file) == pytest.approx(best, rel=1e-4)


class PoisonWeights(__import__("keras").callbacks.Callback):
    """Fills the head's kernel with NaN after `at` steps, as a diverging run would."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        import keras

        if int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) == self.at:
            kernel = self.model.get_layer("logits").kernel
            kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


def test_training_stops_on_nan(tiny_text_file, tmp_path):
    config = tiny_config(tiny_text_file, epochs=3, sample_every=0)
    _, _, metrics = train(config, str(tmp_path / "run"), callbacks=[PoisonWeights(at=2)])
    assert metrics["terminated_on_nan"] is True
    assert metrics["steps"] == 3  # the step that produced NaN is the last


def test_resuming_with_another_model_is_refused(tiny_text_file, tmp_path):
    run = str(tmp_path / "run")
    train(tiny_config(tiny_text_file, epochs=1, sample_every=0), run)
    other = tiny_config(tiny_text_file)
    other["model_kwargs"]["units"] = 16
    with pytest.raises(ValueError, match="other \\['model_kwargs'\\]"):
        train(other, run)


def test_a_run_stopped_by_its_time_budget_goes_on(tiny_text_file, tmp_path):
    run = str(tmp_path / "run")
    # A budget this small stops after the first batch.
    stopped = train(tiny_config(tiny_text_file, epochs=3, sample_every=0, max_minutes=1e-6), run)[2]
    assert stopped["stopped_by_time_budget"] is True and stopped["steps"] == 1
    # The same command without the budget continues: the step taken is kept, the
    # two remaining epochs run in full, and the history goes on from epoch 1.
    finished = train(tiny_config(tiny_text_file, epochs=3, sample_every=0), run)[2]
    assert finished["steps"] == 1 + 2 * 3
    assert [row["epoch"] for row in finished["history"]] == [0, 1, 2]
    assert finished["wall_s_total"] >= finished["wall_s"] + stopped["wall_s_this_session"] - 1e-6
    with pytest.raises(ValueError, match="holds a finished run"):
        train(tiny_config(tiny_text_file, epochs=3, sample_every=0), run)


def test_max_minutes_0_lifts_a_presets_time_budget(tiny_text_file, tmp_path):
    from kerazoo.cli.options import flag_values
    from kerazoo.cli import build_parser
    from kerazoo.models.registry import family_of_model

    def config_of(argv):
        args, _ = build_parser().parse_known_args(["train", *argv])
        family = family_of_model(args.model)
        settings, model_kwargs = flag_values(family, args.model, args)
        return family.resolve_config(model=args.model, config=args.config, model_kwargs=model_kwargs, **settings)

    assert config_of(["hmm", "--preset", "hmm-64-gradient"])["max_minutes"] == 5.0
    assert config_of(["hmm", "--preset", "hmm-64-gradient", "--max-minutes", "0"])["max_minutes"] == 0
    # With 0 no budget stops the run: a budget this small would stop it after one batch.
    finished = train(tiny_config(tiny_text_file, epochs=2, sample_every=0, max_minutes=0), str(tmp_path / "run"))[2]
    assert finished["steps"] == 2 * 3 and not finished.get("stopped_by_time_budget")
    for bad in (-1, float("inf"), float("nan"), "5"):
        with pytest.raises(ValueError, match="`max_minutes` must be a number >= 0 \\(0: no limit\\) or None"):
            resolve_config(model="lstm", corpus=tiny_text_file, max_minutes=bad)


def test_a_finished_run_is_not_trained_over(tiny_text_file, tmp_path):
    run = str(tmp_path / "run")
    train(tiny_config(tiny_text_file, epochs=1, sample_every=0), run)
    with pytest.raises(ValueError, match="holds a finished run"):
        train(tiny_config(tiny_text_file, epochs=1, sample_every=0), run)


@pytest.mark.parametrize(
    "kwargs,name",
    [({"epochs": 0}, "epochs"), ({"batch_size": -1}, "batch_size"), ({"steps_per_epoch": 0}, "steps_per_epoch")],
)
def test_bad_settings_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        resolve_config(model="lstm", **kwargs)


@pytest.mark.parametrize("preset", ["quick", "rnn-lecture", "char-rnn", "tf-tutorial-gru", "lstm-2x512"])
def test_every_preset_compiles_and_takes_a_step(preset):
    """Each preset's optimizer and clipping are accepted by Keras (shrunk to 4 units)."""
    from kerazoo.training import build_model
    from kerazoo.training import compile_model

    config = resolve_config(preset=preset)
    config["model_kwargs"] = dict(config["model_kwargs"], units=4)
    model = compile_model(build_model(config, 10), config)
    ids = np.random.default_rng(0).integers(0, 10, size=(4, 7)).astype("int32")
    history = model.fit(ids[:, :-1], ids[:, 1:], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_clipping_settings():
    assert resolve_config(preset="char-rnn")["clipnorm"] is None
    assert resolve_config(model="lstm")["clipnorm"] == 5.0
    assert resolve_config(model="lstm", clipvalue=1.0)["clipnorm"] is None
    assert resolve_config(model="lstm", clipnorm=0)["clipnorm"] is None
    with pytest.raises(ValueError, match="not both"):
        resolve_config(model="lstm", clipnorm=1.0, clipvalue=1.0)


def test_presets_fill_in_and_flags_override():
    config = resolve_config(preset="char-rnn", batch_size=7)
    assert config["model"] == "lstm" and config["optimizer"] == "rmsprop"
    assert config["learning_rate"] == 2e-3 and config["clipvalue"] == 5.0
    assert config["batch_size"] == 7 and config["seq_length"] == 50
    with pytest.raises(ValueError, match="`config` must be one of"):
        resolve_config(preset="nope")
    # `preset=` is the old name of `config=`: both name the same training configuration.
    assert resolve_config(preset="char-rnn", batch_size=7) == resolve_config(config="char-rnn", batch_size=7)
    with pytest.raises(ValueError, match="Received: model='gru'"):
        resolve_config(model="gru", preset="char-rnn")
