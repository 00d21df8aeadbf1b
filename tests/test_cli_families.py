"""The CLI is built from the families: flags that do not apply are refused, failed starts leave nothing behind."""

import json
import os
import re
import subprocess
import sys

import pytest

from kerazoo.cli import main
from kerazoo.models.registry import FAMILIES
from kerazoo.models.registry import get_family

TINY_LSTM = ["--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "2", "--seq-length", "5", "--units", "4",
             "--num-layers", "1", "--sample-every", "0", "--verbose", "0"]


@pytest.mark.parametrize(
    "argv,flag,model",
    [
        (["train", "transformer", "--units", "8"], "--units", "transformer"),
        (["train", "seq2seq_lstm", "--corpus", "x.txt"], "--corpus", "seq2seq_lstm"),
        (["train", "word2vec", "--units", "8"], "--units", "word2vec"),
        (["train", "gpt", "--cell-api"], "--cell-api", "gpt"),
        (["train", "lstm", "--num-heads", "2"], "--num-heads", "lstm"),
        (["train", "elmo", "--window", "3"], "--window", "elmo"),
    ],
)
def test_a_flag_of_another_model_is_refused_in_one_line(argv, flag, model, tmp_path, capsys):
    output = str(tmp_path / "run")
    assert main(argv + ["--output", output]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert flag in err and repr(model) in err
    assert not os.path.exists(output)


def test_every_family_flag_sets_a_default_or_a_builder_argument():
    import inspect

    for family in FAMILIES:
        for model in family.models:
            parameters = inspect.signature(family.builders[model]).parameters
            for flag in family.flags_for(model):
                if flag.target == "model":
                    assert flag.key in parameters, (family.name, model, flag.key)
                else:
                    assert flag.key in family.defaults, (family.name, flag.key)


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--dropout", "1.5"], "dropout=1.5"),
        (["--seq-length", "5000"], "window of `seq_length`=5000"),
    ],
)
def test_a_refused_start_leaves_no_run_folder_and_the_corrected_rerun_trains(extra, message, tiny_text_file,
                                                                               tmp_path, capsys):
    output = str(tmp_path / "run")
    argv = ["train", "lstm", "--corpus", tiny_text_file, "--output", output, *TINY_LSTM]
    assert main(argv + extra) == 2
    assert message in capsys.readouterr().err
    assert not os.path.exists(output)
    assert main(argv) == 0
    assert os.path.isfile(os.path.join(output, "model.keras"))


def test_a_transformer_whose_heads_do_not_divide_its_width_leaves_no_folder(tmp_path, capsys):
    output = str(tmp_path / "dates")
    argv = ["train", "transformer", "--preset", "dates-transformer", "--output", output, "--epochs", "1",
            "--train-size", "60", "--test-size", "4", "--num-layers", "1", "--hidden-dim", "16", "--verbose", "0"]
    assert main(argv + ["--num-heads", "3"]) == 2
    assert "num_heads=3" in capsys.readouterr().err
    assert not os.path.exists(output)
    assert main(argv + ["--num-heads", "2"]) == 0


def test_an_empty_or_non_utf8_corpus_is_refused_naming_the_file(tmp_path, capsys):
    empty, binary = tmp_path / "empty.txt", tmp_path / "latin1.txt"
    empty.write_text("", encoding="utf-8")
    binary.write_bytes("Roméo et Juliette\n".encode("latin-1") * 50)
    for path, message in ((empty, "The corpus is empty"), (binary, "is not UTF-8 text")):
        output = str(tmp_path / f"run-{path.stem}")
        assert main(["train", "lstm", "--corpus", str(path), "--output", output, *TINY_LSTM]) == 2
        err = capsys.readouterr().err
        assert message in err and str(path) in err and "codec can't decode" not in err
        assert not os.path.exists(output)


def test_generate_on_a_run_that_cannot_generate_says_what_it_can_do(tmp_path, capsys):
    for name in ("word2vec", "elmo"):
        run = tmp_path / name
        run.mkdir()
        (run / "config.json").write_text(json.dumps({"family": name, "model": name}), encoding="utf-8")
        assert main(["generate", str(run)]) == 2
        err = capsys.readouterr().err
        assert "embeds text and does not generate it" in err
        for signature in get_family(name).signatures:
            assert f"`{signature}`" in err


def test_an_old_run_folder_without_a_family_still_loads(tiny_text_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", "gru", "--corpus", tiny_text_file, "--output", run, *TINY_LSTM]) == 0
    config_path = os.path.join(run, "config.json")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    del config["family"]  # as written before families were recorded
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    capsys.readouterr()
    assert main(["generate", run, "--prompt", "RO", "--length", "5"]) == 0
    assert capsys.readouterr().out.startswith("RO")


def test_the_default_elmo_runs_on_a_laptop():
    config = get_family("elmo").resolve_config(model="elmo")
    assert config["training_config"] == "elmo-small" and config["model_kwargs"]["lstm_units"] == 512


def test_the_command_prints_no_native_tensorflow_log_lines():
    native = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|^WARNING: All log messages before absl", re.M)
    command = [sys.executable, "-c", "import sys; from kerazoo.cli import run; sys.exit(run())"]
    env = {key: value for key, value in os.environ.items() if key not in ("TF_CPP_MIN_LOG_LEVEL", "KERAZOO_VERBOSE")}
    quiet = subprocess.run(command + ["list"], capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert not native.search(quiet.stderr), quiet.stderr[:2000]
    assert "Models (kerazoo train MODEL)" in quiet.stdout
    loud = subprocess.run(command + ["--verbose", "list"], capture_output=True, text=True, env=env, timeout=300)
    assert loud.returncode == 0
    if not native.search(loud.stderr):
        pytest.skip("this TensorFlow printed no native log lines, so there was nothing to hide")
