import json
import os

import keras
import pytest

from kerazoo.cli import main
from kerazoo.optimizers import EpochExponentialDecay
from kerazoo.training import resolve_config


def test_kerazoo_schedule_writes_a_png_and_reports_robbins_monro(tmp_path, capsys):
    path = str(tmp_path / "inverse_time.png")
    assert main(["schedule", "sgd_inverse_time", "--steps", "50", "--output", path]) == 0
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "rate 0.5 at step 0" in out and "0.01 at step 49" in out  # 0.5 / (1 + 49)
    assert "sum of steps infinite: yes; sum of squares finite: yes" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["schedule", "charrnn_rmsprop", "--steps", "10"], "needs `steps_per_epoch`"),
        (["schedule", "nope", "--steps", "10"], "Received: name='nope'"),
        (["schedule", "adam", "--steps", "10", "--learning-rate", "-1"], "Received: learning_rate=-1.0"),
        (["train", "lstm", "--optimizer", "nope", "--output", "OUT"], "`optimizer` must be one of"),
    ],
)
def test_bad_arguments_are_one_clear_line(argv, message, tmp_path, capsys):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not os.path.exists(tmp_path / "out")  # an unknown recipe fails before the run folder


def test_recipe_clipping_applies_unless_the_preset_or_command_line_clips():
    assert resolve_config(model="lstm", optimizer="nanogpt_adamw_cosine")["clipnorm"] == 1.0
    config = resolve_config(model="lstm", optimizer="charrnn_rmsprop")
    assert (config["clipnorm"], config["clipvalue"]) == (None, 5.0)
    assert resolve_config(model="lstm", optimizer="nanogpt_adamw_cosine", clipnorm=2.0)["clipnorm"] == 2.0
    assert resolve_config(preset="quick", optimizer="nanogpt_adamw_cosine")["clipnorm"] == 5.0
    assert resolve_config(model="lstm", optimizer="adam")["clipnorm"] == 5.0


def test_kerazoo_train_builds_the_recipe_for_the_runs_epochs(tiny_text_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    code = main([
        "train", "lstm", "--optimizer", "charrnn_rmsprop", "--corpus", tiny_text_file, "--output", run,
        "--epochs", "2", "--steps-per-epoch", "3", "--batch-size", "4", "--seq-length", "10", "--units", "8",
        "--num-layers", "1", "--embedding-dim", "4", "--sample-every", "0", "--verbose", "0",
    ])
    assert code == 0, capsys.readouterr().err
    with open(os.path.join(run, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert (config["optimizer"], config["clipvalue"], config["clipnorm"]) == ("charrnn_rmsprop", 5.0, None)
    optimizer = keras.saving.load_model(os.path.join(run, "model.keras")).optimizer
    assert isinstance(optimizer, keras.optimizers.RMSprop) and optimizer.clipvalue == 5.0
    assert optimizer._learning_rate.get_config() == EpochExponentialDecay(2e-3, 3, 0.97, 10).get_config()
    assert int(optimizer.iterations) == 6
