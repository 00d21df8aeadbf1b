"""Preset folders: written and read back exactly, refused with a clear error when damaged, never running code."""

import json
import os
import shutil

import keras
import numpy as np
import pytest

import kerazoo
from kerazoo import CharRNN
from kerazoo import GPT
from kerazoo.cli import main
from kerazoo.models.presets import PresetError
from kerazoo.models.presets import load_preset
from kerazoo.models.presets import save_preset
from kerazoo.models.presets import sha256_of_file
from kerazoo.models.registry import get_family
from kerazoo.training.publish import publish_preset
from tests.test_case import randomize_weights
from tests.test_case import tiny_vocabulary

CARD = {
    "description": "a tiny LSTM",
    "data": "the tiny text",
    "metric": {"kind": "windowed_loss", "data": {"play": "hamlet", "characters": 3000, "window": 50},
               "target": 9.0, "better": "lower"},
    "check": {"kind": "streamed_loss", "data": {"play": "hamlet", "characters": 2000}, "tolerance": 1e-4},
}


@pytest.fixture
def tiny_preset(tmp_path):
    vocabulary = tiny_vocabulary()
    model = randomize_weights(kerazoo.build_lstm(vocabulary.size, units=8, num_layers=1, embedding_dim=4), seed=3)
    folder = str(tmp_path / "tiny-lstm")
    card = save_preset(model, vocabulary, folder, {"name": "tiny-lstm", "family": "char_rnn", "model": "lstm"})
    return model, vocabulary, folder, card


def test_a_preset_reads_back_as_the_same_model_and_vocabulary(tiny_preset):
    model, vocabulary, folder, card = tiny_preset
    assert sorted(os.listdir(folder)) == ["config.json", "metadata.json", "model.weights.h5", "vocabulary.json"]
    for name, facts in card["files"].items():
        assert facts["sha256"] == sha256_of_file(os.path.join(folder, name))
    loaded = kerazoo.from_preset(folder)
    assert type(loaded) is CharRNN and loaded.vocabulary == vocabulary
    ids = vocabulary.encode("ROMEO:\nBut soft")[None, :]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(ids)), keras.ops.convert_to_numpy(model(ids)), atol=1e-6)
    assert CharRNN.from_preset(folder).count_params() == model.count_params()
    with pytest.raises(PresetError, match="holds a CharRNN, not a GPT"):
        GPT.from_preset(folder)


@pytest.mark.parametrize("damage", ["truncate", "flip_a_byte", "remove"])
def test_a_damaged_file_is_named_and_never_reaches_h5py(tiny_preset, damage):
    _, _, folder, _ = tiny_preset
    weights = os.path.join(folder, "model.weights.h5")
    if damage == "truncate":
        with open(weights, "r+b") as f:
            f.truncate(os.path.getsize(weights) // 2)
    elif damage == "flip_a_byte":
        with open(weights, "r+b") as f:
            f.seek(-100, os.SEEK_END)
            byte = f.read(1)
            f.seek(-100, os.SEEK_END)
            f.write(bytes([byte[0] ^ 0xFF]))
    else:
        os.remove(weights)
    with pytest.raises(PresetError, match="model.weights.h5") as error:
        kerazoo.from_preset(folder)
    assert "h5py" not in str(error.value) and ("truncated or altered" in str(error.value) or "missing" in str(error.value))


def test_loading_runs_no_code_from_the_files(tiny_preset, tmp_path):
    """A config that smuggles Python in (a Lambda layer), with matching sha256s, is refused by safe mode."""
    _, _, folder, card = tiny_preset
    inputs = keras.Input((3,))
    lambda_model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2, name="code")(inputs))
    config_path = os.path.join(folder, "config.json")
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(keras.saving.serialize_keras_object(lambda_model), f)
    card["files"]["config.json"] = {"bytes": os.path.getsize(config_path), "sha256": sha256_of_file(config_path)}
    with open(os.path.join(folder, "metadata.json"), "w", encoding="utf-8") as f:
        json.dump(card, f)
    with pytest.raises(PresetError, match="config.json does not describe a kerazoo model.*safe"):
        kerazoo.from_preset(folder)


def test_an_unknown_preset_name_lists_the_known_ones(capsys):
    with pytest.raises(PresetError, match="must be one of the presets that ship with kerazoo"):
        kerazoo.from_preset("no-such-preset")
    assert main(["generate", "--preset", "no-such-preset"]) == 2
    err = capsys.readouterr().err
    assert "no-such-preset" in err and len(err.strip().splitlines()) == 1


def test_a_run_folder_loads_as_a_preset(tiny_text_file, tmp_path):
    from kerazoo.training import train

    config = get_family("char_rnn").resolve_config(
        model="gru", model_kwargs={"units": 4, "num_layers": 1}, corpus=tiny_text_file, seq_length=10, batch_size=4,
        epochs=1, steps_per_epoch=2, sample_every=0, verbose=0,
    )
    model, vocabulary, _ = train(config, str(tmp_path / "run"))
    loaded = kerazoo.from_preset(str(tmp_path / "run"))
    assert loaded.vocabulary == vocabulary and loaded.count_params() == model.count_params()


def _cast_recipe():
    """recipes/zoo/cast.py, the step that stores the zoo's weights in float16 and measures the card again."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "recipes", "zoo", "cast.py")
    spec = importlib.util.spec_from_file_location("zoo_cast", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _published_tiny_preset(tiny_text_file, tmp_path, card=CARD):
    from kerazoo.training import train

    config = get_family("char_rnn").resolve_config(
        model="lstm", model_kwargs={"units": 8, "num_layers": 1, "embedding_dim": 4}, corpus=tiny_text_file,
        seq_length=10, batch_size=4, epochs=1, steps_per_epoch=3, sample_every=0, verbose=0,
    )
    train(config, str(tmp_path / "run"))
    return publish_preset(str(tmp_path / "run"), "tiny", card, command="pytest", root=str(tmp_path / "presets"))


def test_publishing_measures_the_card_and_evaluate_repeats_it_after_the_float16_cast(tiny_text_file, tmp_path, capsys):
    published = _published_tiny_preset(tiny_text_file, tmp_path)
    assert published["weights_dtype"] == "float32"
    folder = str(tmp_path / "presets" / "tiny")
    card = _cast_recipe().cast_preset(folder)
    assert card["weights_dtype"] == "float16" and card["size_bytes"] < published["size_bytes"]
    assert card == json.load(open(os.path.join(folder, "metadata.json"), encoding="utf-8"))
    for key in ("metric", "check"):
        # The float32 figure is kept beside the one measured on the float16 weights, which differs a little.
        assert card[key]["value_float32"] == published[key]["value"]
        assert abs(card[key]["value"] - published[key]["value"]) <= CARD["check"]["tolerance"]
    assert card["metric"]["met"] is (card["metric"]["value"] <= 9.0) and card["training"]["steps"] == 3
    assert card["example"]["greedy"].startswith("ROMEO:\n")
    assert not [name for name in os.listdir(tmp_path / "presets") if name != "tiny"]  # no staging folder left
    assert _cast_recipe().cast_preset(folder) == card  # a float16 preset is left as it is
    assert main(["evaluate", "--preset", folder]) == 0
    out = capsys.readouterr().out
    for key in ("metric", "check"):
        value = f"{card[key]['value']:.4f}"
        assert f"= {value} (model card: {value}" in out, out
    base = str(tmp_path / "saved_models")
    assert main(["export", "--preset", folder, "--base-dir", base]) == 0
    assert capsys.readouterr().out.strip() == os.path.join(base, "tiny", "1")
    shutil.rmtree(folder)
    assert main(["evaluate", "--preset", folder]) == 2


def test_a_preset_that_float16_moves_past_its_tolerance_stays_float32_and_says_so(tiny_text_file, tmp_path):
    strict = {**CARD, "check": {**CARD["check"], "tolerance": 0.0}}
    published = _published_tiny_preset(tiny_text_file, tmp_path, card=strict)
    folder = str(tmp_path / "presets" / "tiny")
    card = _cast_recipe().cast_preset(folder)
    assert card["weights_dtype"] == "float32" and "Kept in float32" in card["weights_note"]
    assert card["files"] == published["files"] and card["check"]["value"] == published["check"]["value"]
    assert kerazoo.from_preset(folder).preset_metadata == card
