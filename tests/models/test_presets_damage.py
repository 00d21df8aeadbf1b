"""A damaged preset fails in one way: a PresetError that names the damaged file, whatever state the file is in.

Each file of a preset folder is damaged in each way a download, a disk or a
hand edit can damage it. A damage the sha256 check catches is tested twice:
as it is, and with the card's sha256 rewritten to match, so that the damaged
bytes reach the JSON, h5py and Keras readers behind the check.
"""

import json
import os

import h5py
import keras
import numpy as np
import pytest

import kerazoo
from kerazoo.models import presets
from kerazoo.models.presets import PresetError
from kerazoo.models.presets import cast_weights_file
from kerazoo.models.presets import load_preset
from kerazoo.models.presets import save_preset
from kerazoo.models.presets import sign_files
from kerazoo.models.registry import get_family
from tests.test_case import randomize_weights
from tests.test_case import tiny_vocabulary


def _tiny_model(vocabulary, units=8):
    return randomize_weights(kerazoo.build_lstm(vocabulary.size, units=units, num_layers=1, embedding_dim=4), seed=3)


@pytest.fixture
def tiny_preset(tmp_path):
    vocabulary = tiny_vocabulary()
    model = _tiny_model(vocabulary)
    folder = str(tmp_path / "tiny-lstm")
    card = save_preset(model, vocabulary, folder, {"name": "tiny-lstm", "family": "char_rnn", "model": "lstm"})
    return folder, card


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _flip_middle_byte(data):
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


# name -> what the damaged file holds, given what it held.
BYTES_DAMAGES = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "a_flipped_byte": _flip_middle_byte,
    "garbage": lambda data: bytes(range(256)) * 4,
    "not_utf8": lambda data: b"\xff\xfe\x00{" + data,
}
JSON_DAMAGES = {
    "invalid_json": lambda data: b'{"characters": [',
    "a_json_list": lambda data: b"[1, 2, 3]",
    "a_json_string": lambda data: b'"config"',
    "json_null": lambda data: b"null",
}
FILES = ["config.json", "model.weights.h5", "vocabulary.json"]


def _refused_naming(folder, path):
    """Loading `folder` is refused with a PresetError that names `path`."""
    with pytest.raises(PresetError) as error:
        kerazoo.from_preset(folder)
    _assert_names(error, path)
    return error


def _assert_names(error, path):
    message = str(error.value)
    assert type(error.value) is PresetError
    assert path in message, message
    assert "Traceback" not in message and len(message.splitlines()) == 1, message


def _damages():
    cases = [(name, damage) for name in FILES for damage in BYTES_DAMAGES]
    cases += [(name, damage) for name in ("config.json", "vocabulary.json") for damage in JSON_DAMAGES]
    for name, damage in cases:
        yield pytest.param(name, damage, False, id=f"{name}-{damage}-sha256_as_shipped")
        # A flipped byte among the weights' values, with a matching sha256, is a valid file of other weights.
        if (name, damage) != ("model.weights.h5", "a_flipped_byte"):
            yield pytest.param(name, damage, True, id=f"{name}-{damage}-sha256_rewritten")


@pytest.mark.parametrize("name, damage, resign", list(_damages()))
def test_a_damaged_file_is_a_preset_error_naming_it(tiny_preset, name, damage, resign):
    folder, card = tiny_preset
    path = os.path.join(folder, name)
    _write(path, {**BYTES_DAMAGES, **JSON_DAMAGES}[damage](_read(path)))
    if resign:
        sign_files(folder, card)
    error = _refused_naming(folder, path)
    if not resign:
        assert "does not match the sha256" in str(error.value)


@pytest.mark.parametrize("name", FILES + ["metadata.json"])
def test_a_missing_file_is_a_preset_error_naming_it(tiny_preset, name):
    folder, _ = tiny_preset
    path = os.path.join(folder, name)
    os.remove(path)
    with pytest.raises(PresetError) as error:
        kerazoo.from_preset(folder)
    # Without its card the folder is not a preset; the error says which files a preset holds.
    _assert_names(error, path if name != "metadata.json" else name)


@pytest.mark.parametrize("name", FILES)
def test_a_folder_in_place_of_a_file_is_a_preset_error_naming_it(tiny_preset, name):
    folder, _ = tiny_preset
    path = os.path.join(folder, name)
    os.remove(path)
    os.mkdir(path)
    _refused_naming(folder, path)


@pytest.mark.parametrize("damage", [*BYTES_DAMAGES, *JSON_DAMAGES])
def test_a_damaged_model_card_is_a_preset_error_naming_it(tiny_preset, damage):
    folder, _ = tiny_preset
    path = os.path.join(folder, "metadata.json")
    _write(path, {**BYTES_DAMAGES, **JSON_DAMAGES}[damage](_read(path)))
    _refused_naming(folder, path)


CARD_EDITS = {
    "no_files": lambda card: card.pop("files"),
    "files_a_list": lambda card: card.update(files=["config.json"]),
    "no_sha256_for_the_weights": lambda card: card["files"].pop("model.weights.h5"),
    "a_facts_string": lambda card: card["files"].update({"config.json": "abc"}),
    "bytes_a_string": lambda card: card["files"]["config.json"].update(bytes="472"),
    "a_file_outside_the_folder": lambda card: card["files"].update({"../x.json": {"bytes": 1, "sha256": "0"}}),
    "a_wrong_sha256_for_config": lambda card: card["files"]["config.json"].update(sha256="0" * 64),
    "a_wrong_sha256_for_vocabulary": lambda card: card["files"]["vocabulary.json"].update(sha256="0" * 64),
    "a_wrong_size_for_the_weights": lambda card: card["files"]["model.weights.h5"].update(bytes=1),
    "an_unknown_family": lambda card: card.update(family="no_such_family"),
    "no_family": lambda card: card.update(family=None, model=None),
    "no_vocabulary": lambda card: card.pop("vocabulary"),
    "a_vocabulary_string": lambda card: card.update(vocabulary="vocabulary.json"),
    "a_vocabulary_outside_the_folder": lambda card: card["vocabulary"].update(file="../vocabulary.json"),
    "an_unlisted_vocabulary": lambda card: card["files"].pop("vocabulary.json"),
    "another_vocabulary_class": lambda card: card["vocabulary"].update({"class": "WordVocabulary"}),
}


@pytest.mark.parametrize("edit", CARD_EDITS)
def test_a_model_card_with_wrong_facts_is_a_preset_error_naming_the_file_at_fault(tiny_preset, edit):
    folder, card = tiny_preset
    CARD_EDITS[edit](card)
    with open(os.path.join(folder, "metadata.json"), "w", encoding="utf-8") as f:
        json.dump(card, f)
    with pytest.raises(PresetError) as error:
        kerazoo.from_preset(folder)
    at_fault = {"a_wrong_sha256_for_config": "config.json", "a_wrong_sha256_for_vocabulary": "vocabulary.json",
                "a_wrong_size_for_the_weights": "model.weights.h5",
                "another_vocabulary_class": "vocabulary.json"}.get(edit, "metadata.json")
    _assert_names(error, os.path.join(folder, at_fault))


def _replace_and_sign(folder, card, name, data):
    path = os.path.join(folder, name)
    _write(path, data)
    sign_files(folder, card)
    return path


VOCABULARY_DAMAGES = {
    "wrong_keys": {"words": ["a", "b"], "counts": [2, 1]},
    "another_family's_vocabulary": {"source": ["a"], "target": ["b"]},
    "characters_a_number": {"characters": 5},
    "characters_a_list_of_numbers": {"characters": [1, 2]},
}


@pytest.mark.parametrize("damage", VOCABULARY_DAMAGES)
def test_a_vocabulary_of_the_wrong_shape_is_a_preset_error_naming_it(tiny_preset, damage):
    folder, card = tiny_preset
    data = json.dumps(VOCABULARY_DAMAGES[damage]).encode()
    path = _replace_and_sign(folder, card, "vocabulary.json", data)
    _refused_naming(folder, path)


def _weights_of(model, folder):
    path = os.path.join(folder, "other.weights.h5")
    model.save_weights(path)
    return _read(path)


def test_weights_of_another_model_are_a_preset_error_naming_the_file(tiny_preset, tmp_path):
    folder, card = tiny_preset
    other = _weights_of(_tiny_model(tiny_vocabulary(), units=16), str(tmp_path))
    path = _replace_and_sign(folder, card, "model.weights.h5", other)
    _refused_naming(folder, path)


def test_a_weights_file_without_a_layer_is_a_preset_error_naming_it(tiny_preset):
    folder, card = tiny_preset
    path = os.path.join(folder, "model.weights.h5")
    with h5py.File(path, "r+") as f:
        del f["layers"][next(iter(f["layers"]))]
    sign_files(folder, card)
    _refused_naming(folder, path)


@pytest.mark.parametrize("config", [{"class_name": "NoSuchModel", "config": {}}, {"config": {}},
                                    {"class_name": "CharRNN", "module": "kerazoo.models.char_rnn.char_rnn_model",
                                     "registered_name": "kerazoo>CharRNN", "config": {"units": -4}}],
                         ids=["unknown_class", "no_class", "bad_arguments"])
def test_a_config_that_builds_no_model_is_a_preset_error_naming_it(tiny_preset, config):
    folder, card = tiny_preset
    path = _replace_and_sign(folder, card, "config.json", json.dumps(config).encode())
    _refused_naming(folder, path)


def test_a_damaged_card_among_the_shipped_presets_is_named(tiny_preset, monkeypatch, tmp_path):
    folder, _ = tiny_preset
    monkeypatch.setattr(presets, "presets_root", lambda: os.path.dirname(folder))
    assert list(presets.shipped_presets()) == ["tiny-lstm"]
    path = os.path.join(folder, "metadata.json")
    _write(path, b"[]")
    with pytest.raises(PresetError) as error:
        presets.shipped_presets()
    _assert_names(error, path)


# --- A run folder loads as a preset, and fails the same way ---


@pytest.fixture
def tiny_run(tmp_path):
    vocabulary = tiny_vocabulary()
    folder = tmp_path / "run"
    folder.mkdir()
    _tiny_model(vocabulary).save(str(folder / "best.keras"))
    vocabulary.save(str(folder / "vocabulary.json"))
    (folder / "config.json").write_text(json.dumps({"family": "char_rnn", "model": "lstm"}))
    return str(folder), vocabulary


def test_a_run_folder_loads_with_the_vocabulary_of_its_family(tiny_run):
    folder, vocabulary = tiny_run
    model = kerazoo.from_preset(folder)
    assert model.vocabulary == vocabulary and model.preset_metadata["family"] == "char_rnn"


@pytest.mark.parametrize("name, data", [("config.json", b"[]"), ("config.json", b"{"),
                                        ("config.json", b'{"family": "no_such_family"}'),
                                        ("best.keras", b""), ("best.keras", b"PK\x03\x04 truncated"),
                                        ("vocabulary.json", b""), ("vocabulary.json", b'{"words": []}')])
def test_a_damaged_run_folder_is_a_preset_error_naming_the_file(tiny_run, name, data):
    folder, _ = tiny_run
    path = os.path.join(folder, name)
    _write(path, data)
    _refused_naming(folder, path)


def test_a_run_folder_without_its_vocabulary_is_a_preset_error_naming_it(tiny_run):
    folder, _ = tiny_run
    path = os.path.join(folder, "vocabulary.json")
    os.remove(path)
    _refused_naming(folder, path)


# --- The vocabulary is read by the family the card names ---


def test_the_vocabulary_is_read_by_the_family_the_card_names(tiny_preset, monkeypatch):
    folder, _ = tiny_preset
    family = get_family("char_rnn")
    read = []

    def load_vocabulary(path):
        read.append(path)
        return type(family).load_vocabulary(family, path)

    monkeypatch.setattr(family, "load_vocabulary", load_vocabulary)
    model = kerazoo.from_preset(folder)
    assert read == [os.path.join(folder, "vocabulary.json")]
    assert model.vocabulary == tiny_vocabulary()


# --- Weights stored as float16 load into the float32 model ---


def test_float16_weights_load_into_the_float32_model_rounded(tmp_path):
    vocabulary = tiny_vocabulary()
    model = _tiny_model(vocabulary)
    folder = str(tmp_path / "half")
    card = save_preset(model, vocabulary, folder, {"name": "half", "family": "char_rnn", "model": "lstm"},
                       weights_dtype="float16")
    assert card["weights_dtype"] == "float16"
    with h5py.File(os.path.join(folder, "model.weights.h5"), "r") as f:
        stored = []
        f.visititems(lambda name, item: stored.append(str(item.dtype)) if isinstance(item, h5py.Dataset) else None)
    assert stored and set(stored) == {"float16"}
    loaded = kerazoo.from_preset(folder)
    assert {weight.dtype for weight in loaded.weights} == {"float32"}
    for original, half in zip(model.get_weights(), loaded.get_weights()):
        assert half.dtype == np.float32
        np.testing.assert_array_equal(half, original.astype(np.float16).astype(np.float32))
    ids = vocabulary.encode("ROMEO:\nBut soft")[None, :]
    logits = keras.ops.convert_to_numpy(loaded(ids))
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits, keras.ops.convert_to_numpy(model(ids)), atol=1e-2)


def test_a_cast_keeps_integers_and_scalars_and_halves_the_float_arrays(tmp_path):
    source, destination = str(tmp_path / "a.h5"), str(tmp_path / "b.h5")
    with h5py.File(source, "w") as f:
        f.create_group("layers").create_dataset("kernel", data=np.linspace(-2, 2, 100_000, dtype=np.float32))
        f["layers"].create_dataset("seed", data=np.array([2**40 + 1], dtype=np.int64))
        f["layers"].create_dataset("learning_rate", data=np.float32(1e-3))
        f["layers"].attrs["name"] = "dense"
    cast_weights_file(source, destination)
    with h5py.File(destination, "r") as f:
        assert f["layers/kernel"].dtype == np.float16 and f["layers/seed"].dtype == np.int64
        assert f["layers/seed"][0] == 2**40 + 1 and f["layers"].attrs["name"] == "dense"
        assert f["layers/learning_rate"].dtype == np.float32 and f["layers/learning_rate"][()] == np.float32(1e-3)
        kernel = np.linspace(-2, 2, 100_000, dtype=np.float32)
        np.testing.assert_array_equal(f["layers/kernel"][()], kernel.astype(np.float16))
    assert os.path.getsize(destination) < 0.55 * os.path.getsize(source)


def test_save_preset_refuses_an_unknown_weights_dtype(tmp_path):
    vocabulary = tiny_vocabulary()
    message = "`weights_dtype` must be 'float32' or 'float16'. Received: weights_dtype='int8'"
    with pytest.raises(ValueError, match=message):
        save_preset(_tiny_model(vocabulary), vocabulary, str(tmp_path / "p"), {"family": "char_rnn"},
                    weights_dtype="int8")
    assert not os.path.exists(tmp_path / "p")


def test_a_float16_preset_fails_the_same_way_when_truncated(tmp_path):
    vocabulary = tiny_vocabulary()
    folder = str(tmp_path / "half")
    card = save_preset(_tiny_model(vocabulary), vocabulary, folder, {"name": "half", "family": "char_rnn"},
                       weights_dtype="float16")
    path = os.path.join(folder, "model.weights.h5")
    _write(path, _read(path)[:1000])
    sign_files(folder, card)
    with pytest.raises(PresetError) as error:
        load_preset(folder)
    _assert_names(error, path)
