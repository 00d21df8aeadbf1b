import json
import math
import os

import pytest

from kerazoo.cli import main
from kerazoo.export.serving import embed_from_saved_model
from kerazoo.training import resolve_bilm_config
from tests.test_case import TINY_TEXT


@pytest.fixture
def sentences_file(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text(TINY_TEXT * 6, encoding="utf-8")
    return str(path)


def test_train_elmo_then_export_an_embed_signature_from_the_cli(sentences_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    code = main([
        "train", "elmo", "--preset", "elmo-small", "--corpus", sentences_file, "--output", run,
        "--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "2", "--seq-length", "5",
        "--projection-dim", "4", "--lstm-units", "8", "--max-minutes", "5", "--verbose", "0",
    ])
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["run_dir"] == run and summary["steps"] == 4
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    # 18 words and marks: fewer than the preset's 1024 samples, so the softmax is full.
    assert metrics["softmax"] == "full" and metrics["vocabulary_size"] == 4 + 18
    for direction in ("forward", "backward"):
        perplexity = metrics[f"validation_{direction}_perplexity"]
        assert math.isfinite(perplexity) and 1.0 < perplexity < 4 * metrics["vocabulary_size"]
    assert metrics["train_tokens_per_s"] > 0 and metrics["trained_tokens"] == 4 * 2 * 5

    base = str(tmp_path / "saved_models")
    assert main(["export", run, "--name", "elmo", "--base-dir", base]) == 0
    path = capsys.readouterr().out.strip()
    assert path == os.path.join(base, "elmo", "1")
    outputs = embed_from_saved_model(path, ["But soft , what light", "O Romeo"])
    assert outputs["elmo"].shape == (2, 5, 8) and outputs["default"].shape == (2, 8)
    assert outputs["sequence_len"].tolist() == [5, 2]

    assert main(["generate", run]) == 2
    assert "embeds text" in capsys.readouterr().err


def test_list_shows_elmo_and_bad_settings_name_the_setting(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "elmo" in out and "elmo-small" in out and "elmo-original" in out
    with pytest.raises(ValueError, match="seq_length=0"):
        resolve_bilm_config(preset="elmo-small", seq_length=0)
    with pytest.raises(ValueError, match="config='nope'"):
        resolve_bilm_config(preset="nope")
    with pytest.raises(ValueError, match="optimizer"):
        resolve_bilm_config(optimizer="nope")
    assert main(["train", "elmo", "--corpus", "no_such_file.txt", "--output", "unused"]) == 2
    assert "corpus='no_such_file.txt'" in capsys.readouterr().err
