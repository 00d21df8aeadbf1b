"""Trained presets: folders laid out as KerasHub's, loaded offline in one line.

A preset folder holds

    config.json         the model, serialized by Keras (class, registered name, arguments)
    model.weights.h5    its weights
    vocabulary.json     its vocabulary
    metadata.json       the model card: family, architecture, data and split, the metric and
                        its value, parameters, size, the sha256 of every file, the command
                        that trained it, wall time, hardware, date and kerazoo version

The zoo's presets ship inside the package, in `kerazoo/presets/NAME/`
(`python recipes/zoo/train.py NAME` makes each). `from_preset` takes the name
of a shipped preset or the path of any preset folder, or of a run folder.
Every file is checked against its sha256 before it is opened, and the model
is rebuilt with Keras's `safe_mode`: loading runs no code from the files.
"""

import hashlib
import importlib.resources
import json
import os

import keras

from kerazoo.data.vocabularies import load_vocabulary

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"


class PresetError(ValueError):
    """A preset that cannot be loaded: unknown, incomplete, truncated or altered."""


def presets_root():
    """The folder of the presets that ship with kerazoo."""
    return str(importlib.resources.files("kerazoo").joinpath("presets"))


def shipped_presets():
    """{name: metadata} of the presets that ship with kerazoo, by name."""
    root = presets_root()
    found = {}
    if os.path.isdir(root):
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name, METADATA_FILE)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    found[name] = json.load(f)
    return found


def sha256_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def preset_folder(name_or_dir):
    """The folder of a shipped preset's name, or `name_or_dir` itself when it is a folder."""
    if not isinstance(name_or_dir, (str, os.PathLike)) or not str(name_or_dir):
        raise PresetError(f"`preset` must be a preset name or a folder. Received: preset={name_or_dir!r}")
    text = str(name_or_dir)
    shipped = os.path.join(presets_root(), text)
    if os.sep not in text and os.path.isfile(os.path.join(shipped, METADATA_FILE)):
        return shipped
    if os.path.isdir(text):
        return text
    known = sorted(shipped_presets())
    raise PresetError(
        f"`preset` must be one of the presets that ship with kerazoo ({', '.join(known) or 'none'}) or a "
        f"preset or run folder. Received: preset={text!r}"
    )


def read_metadata(folder):
    path = os.path.join(folder, METADATA_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as error:
        raise PresetError(f"{path} is not valid JSON ({error}); the preset is damaged.") from None


def verify_files(folder, metadata):
    """Checks every file the model card lists against its sha256; raises PresetError naming the first that differs."""
    for name, facts in metadata.get("files", {}).items():
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise PresetError(f"{path} is missing: the preset is incomplete.")
        size = os.path.getsize(path)
        if size != facts["bytes"] or sha256_of_file(path) != facts["sha256"]:
            raise PresetError(
                f"{path} does not match the sha256 in {METADATA_FILE} ({size:,} bytes, expected "
                f"{facts['bytes']:,}): the file is truncated or altered. Reinstall kerazoo, or publish the preset again."
            )


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise PresetError(f"{path} is missing: the preset is incomplete.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise PresetError(f"{path} is not valid JSON ({error}); the preset is damaged.") from None


def load_preset(name_or_dir):
    """Loads `(model, vocabulary, metadata)` from a preset name, a preset folder or a run folder.

    The returned model also carries them as `model.vocabulary` and `model.preset_metadata`.
    """
    folder = preset_folder(name_or_dir)
    metadata = read_metadata(folder)
    if metadata is None:
        return _load_run_folder(folder)
    verify_files(folder, metadata)
    config = _read_json(os.path.join(folder, CONFIG_FILE))
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except (TypeError, ValueError) as error:
        raise PresetError(f"{os.path.join(folder, CONFIG_FILE)} does not describe a kerazoo model: {error}") from None
    model.load_weights(os.path.join(folder, WEIGHTS_FILE))
    vocabulary = load_vocabulary(metadata["vocabulary"]["class"], os.path.join(folder, metadata["vocabulary"]["file"]))
    return _attach(model, vocabulary, metadata)


def _load_run_folder(folder):
    """A run folder works too: its best checkpoint (Keras's safe mode) and its vocabulary."""
    run_config = os.path.join(folder, "config.json")
    checkpoint = os.path.join(folder, "best.keras")
    if not (os.path.isfile(run_config) and os.path.isfile(checkpoint)):
        raise PresetError(
            f"{folder!r} is neither a preset folder ({METADATA_FILE}, {CONFIG_FILE}, {WEIGHTS_FILE}) nor a run "
            "folder (config.json, best.keras)."
        )
    config = _read_json(run_config)
    model = keras.saving.load_model(checkpoint, compile=False, safe_mode=True)
    files = [name for name in os.listdir(folder) if name.startswith("vocabulary")]
    if not files:
        raise PresetError(f"{folder!r} holds no vocabulary file.")
    metadata = {"name": os.path.basename(os.path.normpath(folder)), "family": config.get("family"),
                "model": config.get("model"), "run_config": config}
    return _attach(model, load_vocabulary(None, os.path.join(folder, files[0])), metadata)


def _attach(model, vocabulary, metadata):
    # Plain attributes, not tracked weights: the model stays a model of its class.
    object.__setattr__(model, "vocabulary", vocabulary)
    object.__setattr__(model, "preset_metadata", metadata)
    return model, vocabulary, metadata


def from_preset(name_or_dir):
    """The trained model of a preset, ready to use, with its vocabulary as `model.vocabulary`.

    Args:
        name_or_dir: str. A preset that ships with kerazoo (`kerazoo list`), or
            the path of a preset folder or of a run folder.

    Example:

    >>> model = kerazoo.from_preset("shakespeare-gru")
    >>> generate_text(model, model.vocabulary, "ROMEO:", 100, temperature=0.8)
    """
    return load_preset(name_or_dir)[0]


class PresetMixin:
    """Gives a model class `from_preset`, which checks that the preset holds a model of that class."""

    @classmethod
    def from_preset(cls, name_or_dir):
        """Loads a trained preset of this class (see `kerazoo.from_preset`)."""
        model = from_preset(name_or_dir)
        if not isinstance(model, cls):
            raise PresetError(
                f"Preset {name_or_dir!r} holds a {type(model).__name__}, not a {cls.__name__}. "
                f"Use kerazoo.from_preset({name_or_dir!r}) or {type(model).__name__}.from_preset."
            )
        return model


def save_preset(model, vocabulary, folder, metadata, extra_dir=None):
    """Writes a preset folder (config, weights, vocabulary, model card with sha256s); returns the card.

    The folder is written beside its destination and renamed into place, so a
    failed save leaves no half-written preset. The files of `extra_dir` (a
    measure's reference data) are copied in and listed in the card too.
    """
    import shutil
    import tempfile

    parent = os.path.dirname(os.path.abspath(folder)) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".preset-", dir=parent)
    try:
        with open(os.path.join(staging, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(keras.saving.serialize_keras_object(model), f, indent=2)
        model.save_weights(os.path.join(staging, WEIGHTS_FILE))
        vocabulary_file = "vocabulary.json"
        vocabulary.save(os.path.join(staging, vocabulary_file))
        extra = sorted(os.listdir(extra_dir)) if extra_dir else []
        for name in extra:
            shutil.copyfile(os.path.join(extra_dir, name), os.path.join(staging, name))
        files = {
            name: {"bytes": os.path.getsize(os.path.join(staging, name)),
                   "sha256": sha256_of_file(os.path.join(staging, name))}
            for name in (CONFIG_FILE, WEIGHTS_FILE, vocabulary_file, *extra)
        }
        card = {
            **metadata,
            "class_name": type(model).__name__,
            "parameters": int(model.count_params()),
            "vocabulary": {"class": type(vocabulary).__name__, "file": vocabulary_file},
            "files": files,
            "size_bytes": sum(facts["bytes"] for facts in files.values()),
        }
        with open(os.path.join(staging, METADATA_FILE), "w", encoding="utf-8") as f:
            json.dump(card, f, indent=2, ensure_ascii=False)
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.rename(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return card
