"""SavedModel export in the layout TF Serving loads: `saved_models/NAME/<version>/`.

One writer serves every family. The family names the signatures
(`Family.signatures`, builders registered in `kerazoo.signatures`) and the model to
serve (`Family.serving_model`); the SavedModel carries its vocabulary
(`assets/vocabulary.json`) and `assets/kerazoo.json`, which names the family,
the model class and the signatures. Each version is written to a temporary
folder beside its destination and renamed into place, so a failed export
never leaves a half-written version that a server could pick up.
"""

import json
import os
import shutil
import tempfile

import keras

from kerazoo.models.registry import family_of_run
from kerazoo.models.registry import family_of_serving_model
from kerazoo.signatures import ExportContext
from kerazoo.signatures import build_signatures
from kerazoo.signatures import write_assets


def _require_tensorflow_backend():
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "Exporting a SavedModel needs the TensorFlow backend. Models trained on "
            "any backend load there: run `KERAS_BACKEND=tensorflow kerazoo export RUN_DIR`. "
            f"Current backend: {keras.backend.backend()!r}"
        )


def next_version(model_dir):
    """The next integer version under `model_dir` (1 for a new model)."""
    if not os.path.isdir(model_dir):
        return 1
    versions = [int(entry) for entry in os.listdir(model_dir) if entry.isdigit()]
    return max(versions, default=0) + 1


def check_name(name):
    if not name or os.sep in name or name.startswith(".") or (os.altsep and os.altsep in name):
        raise ValueError(f"`name` must be a plain folder name. Received: name={name!r}")


def build_serving_module(model, vocabulary, family=None, beam_width=1, limits=None):
    """A `tf.Module` holding the model to serve and its signatures (`module.signature_functions`).

    Args:
        model: a trained model of `family` (found from the model's class when None).
        vocabulary: its vocabulary.
        family: a `Family` or None.
        beam_width: int. The beam of a `translate` signature; 1 is greedy.
        limits: dict or None. The most work one call may ask for (see
            `kerazoo.signatures.default_limits()`); recorded in `assets/kerazoo.json`.

    Returns:
        `(module, context)`: the module and the `ExportContext` with its info and assets.
    """
    import tensorflow as tf

    family = family or family_of_serving_model(model)
    served = family.serving_model(model, vocabulary)
    module = tf.Module()
    module.model = served  # tracked when it holds variables (a Keras model); a builder may add its own
    context = ExportContext(module, served, vocabulary, options={"beam_width": beam_width, "limits": limits})
    build_signatures(context, family.signatures)
    stream_characters = family.stream_characters(vocabulary) if vocabulary is not None else None
    context.info = {
        "family": family.name,
        "model_class": type(served).__name__,
        **family.export_info(served),
        "signatures": list(family.signatures),
        **({"stream_characters": stream_characters} if stream_characters is not None else {}),
        **context.info,
    }
    return module, context


def export_saved_model(model, vocabulary, name, base_dir="saved_models", metadata=None, beam_width=1, family=None,
                       limits=None):
    """Writes `model` as `base_dir/name/<next version>/` and returns that path.

    Args:
        model: a trained kerazoo model (any family), or `KeyedVectors`.
        vocabulary: its vocabulary (None for `KeyedVectors`).
        name: str. The model name, a folder under `base_dir`.
        base_dir: str. Where SavedModels live.
        metadata: dict or None. Extra facts for `assets/kerazoo.json`.
        beam_width: int. The beam of a sequence-to-sequence model's `translate`; 1 is greedy.
        family: a `Family`, or None to find it from the model's class.
        limits: dict or None. Per-call limits on batch, prompt or source length and
            `max_length` (`kerazoo.signatures.default_limits()` fills the rest);
            a call past one fails with `InvalidArgumentError` before it allocates.
    """
    _require_tensorflow_backend()
    check_name(name)
    import tensorflow as tf

    module, context = build_serving_module(model, vocabulary, family, beam_width, limits)

    def write(target, assets):
        if vocabulary is not None:
            vocabulary.save(os.path.join(assets, "vocabulary.json"))
            module.vocabulary_file = tf.saved_model.Asset(os.path.join(assets, "vocabulary.json"))
        write_assets(context, assets)
        with open(os.path.join(assets, "kerazoo.json"), "w", encoding="utf-8") as f:
            json.dump({**context.info, **(metadata or {})}, f, indent=2)
        module.info_file = tf.saved_model.Asset(os.path.join(assets, "kerazoo.json"))
        module.asset_files = [tf.saved_model.Asset(os.path.join(assets, asset)) for asset in context.assets]
        tf.saved_model.save(module, target, signatures=module.signature_functions)

    return write_new_version(os.path.join(base_dir, name), write)


def export_word_vectors(vectors, name, base_dir="saved_models", metadata=None, limits=None):
    """Writes word vectors (`KeyedVectors`) as `base_dir/name/<next version>/` (signatures `embed`, `most_similar`)."""
    return export_saved_model(vectors, None, name, base_dir, metadata, family=family_of_serving_model(vectors),
                              limits=limits)


def export_run(run_dir, name, base_dir="saved_models", which="best", beam_width=1, limits=None):
    """Exports the model of a run folder of any family; see `export_saved_model`."""
    _require_tensorflow_backend()
    from kerazoo.training.runner import load_run
    from kerazoo.training.runner import run_config

    family = family_of_run(run_dir)
    if family is None:
        raise FileNotFoundError(
            f"No trained model in {run_dir!r}: config.json is missing. "
            "Train one with `kerazoo train MODEL --output RUN_DIR`."
        )
    model, vocabulary = load_run(run_dir, which=which, family=family)
    metadata = {"run_dir": os.path.abspath(run_dir), "checkpoint": which, "config": run_config(run_dir)}
    return export_saved_model(model, vocabulary, name, base_dir, metadata, beam_width=beam_width, family=family,
                              limits=limits)


def write_new_version(model_dir, write):
    """Runs `write(target, assets_dir)` and renames `target` into `model_dir/<next version>/`.

    Every export goes through here: the SavedModel is written to a temporary
    folder beside its destination and renamed into place, so a failed export
    never leaves a half-written version that a server could pick up. Returns
    the version folder.
    """
    os.makedirs(model_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=model_dir)
    try:
        assets = os.path.join(staging, "_assets_source")
        os.makedirs(assets)
        target = os.path.join(staging, "model")
        write(target, assets)
        while True:
            destination = os.path.join(model_dir, str(next_version(model_dir)))
            try:
                os.rename(target, destination)
                break
            except OSError:
                if not os.path.exists(destination):
                    raise
                # Another export took this version number first; take the next.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination
