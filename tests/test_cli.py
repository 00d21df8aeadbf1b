import json
import os

import pytest

from kerazoo.cli import main


def test_list_shows_models_and_presets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("simple_rnn", "lstm", "gru", "quick", "rnn-lecture", "char-rnn", "tf-tutorial-gru", "lstm-2x512"):
        assert name in out


def test_train_generate_export_generate(tiny_text_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    code = main([
        "train", "gru", "--corpus", tiny_text_file, "--output", run, "--epochs", "1",
        "--steps-per-epoch", "2", "--batch-size", "4", "--seq-length", "10", "--units", "8",
        "--embedding-dim", "4", "--sample-every", "0", "--verbose", "0", "--seed", "1",
    ])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["run_dir"] == run and summary["steps"] == 2

    assert main(["generate", run, "--prompt", "RO", "--prompt", "JULIET", "--length", "12", "--seed", "4"]) == 0
    from_run = capsys.readouterr().out

    base = str(tmp_path / "saved_models")
    assert main(["export", run, "--name", "tiny", "--base-dir", base]) == 0
    path = capsys.readouterr().out.strip()
    assert path == os.path.join(base, "tiny", "1")

    assert main(["generate", os.path.join(base, "tiny"), "--prompt", "RO", "--prompt", "JULIET", "--length", "12", "--seed", "4"]) == 0
    from_saved_model = capsys.readouterr().out
    # The run folder and its SavedModel give the same text for the same seed.
    assert from_saved_model == from_run
    assert from_run.startswith("RO")


@pytest.mark.parametrize(
    "argv,message",
    [
        (["generate", "no/such/run"], "No trained model"),
        (["train", "lstm", "--preset", "nope"], "`preset`"),
        (["train", "lstm", "--corpus", "no_such_file.txt", "--output", "OUT"], "corpus='no_such_file.txt'"),
        (["export", "no/such/run", "--name", "x"], "No trained model"),
    ],
)
def test_errors_are_one_clear_line(argv, message, capsys, tmp_path):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_generate_refuses_bad_sampling_arguments(tiny_text_file, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "lstm", "--epochs", "0"])
    run = str(tmp_path / "run")
    main(["train", "lstm", "--corpus", tiny_text_file, "--output", run, "--epochs", "1", "--steps-per-epoch", "1",
          "--batch-size", "2", "--seq-length", "5", "--units", "4", "--num-layers", "1", "--sample-every", "0", "--verbose", "0"])
    capsys.readouterr()
    assert main(["generate", run, "--temperature", "-1"]) == 2
    assert "Received: temperature=-1" in capsys.readouterr().err
