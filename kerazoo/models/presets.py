"""Trained presets: folders laid out as KerasHub's, loaded offline in one line.

A preset folder holds

    config.json         the model, serialized by Keras (class, registered name, arguments)
    model.weights.h5    its weights (the zoo's in float16, loaded into float32 models)
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

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
# How the zoo stores weights on disk: half of float32's size, loaded into float32 models (see cast_weights_file).
WEIGHTS_DTYPE = "float16"


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
            if name.startswith("."):
                continue  # a preset being written (save_preset and recipes/zoo/cast.py stage in hidden folders)
            path = os.path.join(root, name, METADATA_FILE)
            if os.path.isfile(path):
                found[name] = _read_json_object(path)
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
    """The model card of a preset folder (a dict), or None when the folder has no `metadata.json`."""
    path = os.path.join(folder, METADATA_FILE)
    if not os.path.exists(path):
        return None
    return _read_json_object(path)


def _plain_name(name):
    return isinstance(name, str) and name not in ("", ".", "..") and os.path.basename(name) == name


def verify_files(folder, metadata):
    """Checks every file the model card lists against its sha256; raises PresetError naming the first that differs."""
    card = os.path.join(folder, METADATA_FILE)
    files = metadata.get("files")
    if not isinstance(files, dict):
        raise PresetError(f"{card} lists no `files` with their sha256: the model card is damaged.")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if name not in files:
            raise PresetError(f"{card} lists no sha256 for {name}: the model card is damaged.")
    for name, facts in files.items():
        if not _plain_name(name) or not isinstance(facts, dict) or not isinstance(facts.get("bytes"), int) \
                or not isinstance(facts.get("sha256"), str):
            raise PresetError(
                f"{card} lists {name!r} as {facts!r}, where a file name and its `bytes` and `sha256` belong: "
                "the model card is damaged."
            )
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise PresetError(f"{path} is missing: the preset is incomplete.")
        try:
            size, digest = os.path.getsize(path), sha256_of_file(path)
        except OSError as error:
            raise PresetError(f"{path} cannot be read: {error.strerror or error}.") from None
        if size != facts["bytes"] or digest != facts["sha256"]:
            raise PresetError(
                f"{path} does not match the sha256 in {METADATA_FILE} ({size:,} bytes, expected "
                f"{facts['bytes']:,}): the file is truncated or altered. Reinstall kerazoo, or publish the preset "
                "again."
            )


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise PresetError(f"{path} is missing: the preset is incomplete.") from None
    except OSError as error:
        raise PresetError(f"{path} cannot be read: {error.strerror or error}.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise PresetError(f"{path} is not valid JSON ({error}); the preset is damaged.") from None


def _read_json_object(path):
    value = _read_json(path)
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value), "null")
        raise PresetError(f"{path} holds a JSON {kind}, where a JSON object belongs; the preset is damaged.")
    return value


def _reason(error):
    """What went wrong, in one phrase, for an error raised while a file was read."""
    if isinstance(error, KeyError):
        return f"it lacks the key {error.args[0]!r}" if error.args else "a key is missing"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _family(metadata, path):
    """The registered family a model card or run config names (`path` is that file)."""
    from kerazoo.models.registry import family_of_config

    try:
        return family_of_config(metadata)
    except ValueError as error:
        raise PresetError(f"{path} names no registered family: {error}") from None


def _build_model(config, path):
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - whatever the config holds, the preset fails as one error
        raise PresetError(f"{path} does not describe a kerazoo model: {_reason(error)}") from None
    if not isinstance(model, keras.Model):
        raise PresetError(f"{path} does not describe a kerazoo model: it gives a {type(model).__name__}.")
    return model


def _load_weights(model, path):
    try:
        model.load_weights(path)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise OSError, KeyError, ValueError...
        raise PresetError(
            f"{path} cannot be loaded into the model of {CONFIG_FILE} ({_reason(error)}); the preset is damaged."
        ) from None


def _load_vocabulary(family, path, expected_class=None):
    """The vocabulary at `path`, read by `family.load_vocabulary`; PresetError naming the file if it cannot be."""
    if not os.path.isfile(path):
        raise PresetError(f"{path} is missing: the preset is incomplete.")
    try:
        vocabulary = family.load_vocabulary(path)
    except json.JSONDecodeError as error:
        raise PresetError(f"{path} is not valid JSON ({error}); the preset is damaged.") from None
    except Exception as error:  # noqa: BLE001 - a family's reader may raise anything on a damaged file
        raise PresetError(
            f"{path} is not a vocabulary of the {family.name} family ({_reason(error)}); the preset is damaged."
        ) from None
    if expected_class is not None and type(vocabulary).__name__ != expected_class:
        raise PresetError(
            f"{path} was read as a {type(vocabulary).__name__} by the {family.name} family, but {METADATA_FILE} "
            f"records a {expected_class}: the preset is damaged."
        )
    return vocabulary


def load_preset(name_or_dir):
    """Loads `(model, vocabulary, metadata)` from a preset name, a preset folder or a run folder.

    The returned model also carries them as `model.vocabulary` and `model.preset_metadata`.
    Whatever is wrong with the files, loading fails with a `PresetError` that names the file.
    """
    folder = preset_folder(name_or_dir)
    metadata = read_metadata(folder)
    if metadata is None:
        return _load_run_folder(folder)
    card = os.path.join(folder, METADATA_FILE)
    verify_files(folder, metadata)
    family = _family(metadata, card)
    facts = metadata.get("vocabulary")
    if not isinstance(facts, dict) or not _plain_name(facts.get("file")) or facts["file"] not in metadata["files"]:
        raise PresetError(
            f"{card} names no vocabulary file listed in its `files` (vocabulary={facts!r}): the model card is damaged."
        )
    config_path = os.path.join(folder, CONFIG_FILE)
    model = _build_model(_read_json_object(config_path), config_path)
    _load_weights(model, os.path.join(folder, WEIGHTS_FILE))
    vocabulary = _load_vocabulary(family, os.path.join(folder, facts["file"]), facts.get("class"))
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
    config = _read_json_object(run_config)
    family = _family(config, run_config)
    try:
        model = keras.saving.load_model(checkpoint, compile=False, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a damaged .keras file raises zipfile, h5py or Keras errors
        raise PresetError(f"{checkpoint} cannot be loaded ({_reason(error)}); the run folder is damaged.") from None
    vocabulary = _load_vocabulary(family, os.path.join(folder, family.vocabulary_file))
    metadata = {"name": os.path.basename(os.path.normpath(folder)), "family": family.name,
                "model": config.get("model"), "run_config": config}
    return _attach(model, vocabulary, metadata)


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


def cast_weights_file(source, destination, dtype=WEIGHTS_DTYPE):
    """Copies a Keras weights file (`.weights.h5`), storing every floating-point array as `dtype`.

    Integer arrays (e.g. a seed generator's state) and scalars (e.g. an
    optimizer's learning rate, saved by a model compiled with one) are copied
    as they are.
    Keras casts each array to its variable's dtype when it loads the file, so
    a float32 model loads a float16 file and stays float32, with weights
    rounded to float16's 11 significant bits.
    """
    import h5py
    import numpy as np

    def copy(source_group, destination_group):
        destination_group.attrs.update(dict(source_group.attrs))
        for name, item in source_group.items():
            if isinstance(item, h5py.Group):
                copy(item, destination_group.create_group(name))
                continue
            data = item[()]
            if isinstance(data, np.ndarray) and np.issubdtype(data.dtype, np.floating):
                data = data.astype(dtype)
            dataset = destination_group.create_dataset(name, data=data, track_times=False)
            dataset.attrs.update(dict(item.attrs))

    with h5py.File(source, "r") as source_file, h5py.File(destination, "w") as destination_file:
        copy(source_file, destination_file)


def sign_files(folder, card, names=None):
    """Records the size and sha256 of `names` (default: the files the card lists) in `card`, and writes it.

    Returns the card, with `files` and `size_bytes` up to date.
    """
    names = list(card.get("files", {})) if names is None else list(names)
    files = {name: {"bytes": os.path.getsize(os.path.join(folder, name)),
                    "sha256": sha256_of_file(os.path.join(folder, name))} for name in names}
    card = {**card, "files": files, "size_bytes": sum(facts["bytes"] for facts in files.values())}
    with open(os.path.join(folder, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2, ensure_ascii=False)
    return card


def save_preset(model, vocabulary, folder, metadata, extra_dir=None, weights_dtype="float32"):
    """Writes a preset folder (config, weights, vocabulary, model card with sha256s); returns the card.

    The folder is written beside its destination and renamed into place, so a
    failed save leaves no half-written preset. The files of `extra_dir` (a
    measure's reference data) are copied in and listed in the card too.
    `weights_dtype` is how the weights are stored on disk ("float32", or
    "float16" for half the size; see `cast_weights_file`). A card's figures
    must be measured on the weights as stored: `recipes/zoo/cast.py` measures
    the zoo's presets again after the cast.
    """
    import shutil
    import tempfile

    if weights_dtype not in ("float32", "float16"):
        raise ValueError(f"`weights_dtype` must be 'float32' or 'float16'. Received: weights_dtype={weights_dtype!r}")
    parent = os.path.dirname(os.path.abspath(folder)) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".preset-", dir=parent)
    try:
        with open(os.path.join(staging, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(keras.saving.serialize_keras_object(model), f, indent=2)
        weights = os.path.join(staging, WEIGHTS_FILE)
        model.save_weights(weights)
        if weights_dtype != "float32":
            full = os.path.join(staging, "float32." + WEIGHTS_FILE)
            os.rename(weights, full)
            cast_weights_file(full, weights, weights_dtype)
            os.remove(full)
        vocabulary_file = "vocabulary.json"
        vocabulary.save(os.path.join(staging, vocabulary_file))
        extra = sorted(os.listdir(extra_dir)) if extra_dir else []
        for name in extra:
            shutil.copyfile(os.path.join(extra_dir, name), os.path.join(staging, name))
        card = {
            **metadata,
            "class_name": type(model).__name__,
            "parameters": int(model.count_params()),
            "weights_dtype": weights_dtype,
            "vocabulary": {"class": type(vocabulary).__name__, "file": vocabulary_file},
        }
        card = sign_files(staging, card, (CONFIG_FILE, WEIGHTS_FILE, vocabulary_file, *extra))
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.rename(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return card
