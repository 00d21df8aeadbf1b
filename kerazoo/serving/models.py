"""The models a server serves: every folder under the base path, each at its newest loadable version.

As TF Serving does by default, one version of each model is served: the
newest integer version that loads. The base path is polled (every second by
default); a version that `kerazoo export` renames into place is loaded in the
background and then swapped in. A request already holding the old version
finishes on it, since a request takes its `Servable` once and keeps it. A
version that fails to load is recorded (state `END`, its error code and
message in the status JSON) and the previous version keeps serving.

TensorFlow is imported inside functions only.
"""

import json
import logging
import os
import threading
import time

from kerazoo.serving.errors import ServingError
from kerazoo.serving.errors import invalid
from kerazoo.serving.errors import not_found
from kerazoo.serving.errors import tensorflow_error

log = logging.getLogger("kerazoo.serving")


def _status(state, code="OK", message=""):
    return {"state": state, "status": {"error_code": code, "error_message": message}}


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _signature_defs(path):
    """The SignatureDefs of the SavedModel at `path` as JSON, in TF Serving's metadata form."""
    from google.protobuf import json_format
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    defs = proto.meta_graphs[0].signature_def
    return {
        name: json_format.MessageToDict(defs[name], always_print_fields_with_no_presence=True,
                                        preserving_proto_field_name=True)
        for name in sorted(defs)
    }


class Servable:
    """One loaded version of a model.

    Attributes:
        name, version: the model's name and integer version.
        path: its folder.
        signatures: dict name -> concrete function.
        specs: dict name -> {"inputs": {input: (dtype, shape)}, "outputs": {...}}.
        info: dict, `assets/kerazoo.json` ({} for a SavedModel not written by kerazoo).
        characters: list of str, what `step` streams (id i + 1 is `characters[i]`; `stream_characters` in
            kerazoo.json), or None for a model that does not stream.
        signature_def: dict, the SignatureDefs as TF Serving's metadata JSON shows them.
        created: int, the Unix time its version folder was written (`created` in the OpenAI model list).
    """

    def __init__(self, name, version, path):
        import tensorflow as tf

        self.name, self.version, self.path = name, version, path
        self.created = int(os.stat(path).st_mtime)
        self.loaded = tf.saved_model.load(path)
        self.signatures = dict(self.loaded.signatures)
        self.specs = {}
        for key, function in self.signatures.items():
            inputs = function.structured_input_signature[1]
            self.specs[key] = {
                "inputs": {n: (s.dtype.name, s.shape.as_list()) for n, s in inputs.items()},
                "outputs": {n: (s.dtype.name, s.shape.as_list()) for n, s in function.structured_outputs.items()},
            }
        self.info = _read_json(os.path.join(path, "assets", "kerazoo.json"))
        self.characters = self.info.get("stream_characters")
        if self.characters is None and "stream_characters" not in self.info and "step" in self.signatures:
            # A SavedModel exported before kerazoo.json recorded `stream_characters` (kerazoo 0.1): its character
            # vocabulary is the one it streams.
            vocabulary = _read_json(os.path.join(path, "assets", "vocabulary.json"))
            characters = vocabulary.get("characters")
            self.characters = characters if isinstance(characters, list) else None
        self.signature_def = _signature_defs(path)
        self.max_batch = (self.info.get("limits") or {}).get("max_batch")
        self.batchers = {}  # signature -> Batcher, made by the app for the signatures it batches

    @property
    def can_stream(self):
        return "step" in self.signatures and self.characters is not None

    def signature(self, name):
        if not isinstance(name, str):
            raise invalid(f"`signature_name` must be a string. Received: signature_name={name!r}")
        if name not in self.signatures:
            raise invalid(f"Serving signature name: \"{name[:100]}\" not found in signature def. "
                          f"Model {self.name} version {self.version} has {sorted(self.signatures)}.")
        return self.signatures[name]

    def call(self, name, arrays):
        """Runs signature `name` on NumPy `arrays`; returns name -> NumPy array. TF errors become `ServingError`."""
        import tensorflow as tf

        function = self.signature(name)
        specs = self.specs[name]["inputs"]
        try:
            tensors = {key: tf.constant(value, dtype=specs[key][0]) for key, value in arrays.items()}
            outputs = function(**tensors)
        except tf.errors.OpError as error:
            raise tensorflow_error(error) from None
        return {key: value.numpy() for key, value in outputs.items()}

    def describe(self):
        return {"name": self.name, "version": str(self.version), "family": self.info.get("family"),
                "signatures": {key: {"inputs": {n: {"dtype": d, "shape": s} for n, (d, s) in spec["inputs"].items()},
                                     "outputs": {n: {"dtype": d, "shape": s} for n, (d, s) in spec["outputs"].items()}}
                               for key, spec in self.specs.items()},
                "streaming": self.can_stream, "limits": self.info.get("limits"),
                "embedding_dim": self.info.get("embedding_dim")}


class Model:
    """A model folder: its versions' statuses and the servable in use."""

    def __init__(self, name, folder):
        self.name, self.folder = name, folder
        self.serving = None
        self.statuses = {}  # version -> status dict
        self.attempted = {}  # version -> mtime of the folder when it was tried


def check_model_name(name):
    """A model name is a plain folder name; refuses `..`, separators and hidden names."""
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\x00" in name or len(name) > 255:
        raise invalid(f"The model name must be a plain folder name. Received: name={name[:100]!r}")


class ModelManager:
    """Every model folder under `base_dir`, polled for new versions.

    Args:
        base_dir: str. One folder per model, each with integer version folders.
        loader: callable `(name, version, path) -> Servable` (tests may swap it).
    """

    def __init__(self, base_dir, loader=Servable):
        self.base_dir = os.path.abspath(base_dir)
        self.loader = loader
        self.models = {}
        self._lock = threading.Lock()
        self.last_scan = None

    def _versions(self, folder):
        try:
            entries = os.listdir(folder)
        except OSError:
            return []
        versions = (int(entry) for entry in entries if is_version(entry) and os.path.isdir(os.path.join(folder, entry)))
        return sorted(versions, reverse=True)

    def scan(self):
        """Finds new models and versions and loads them; returns the names whose servable changed."""
        with self._lock:
            changed = []
            try:
                names = sorted(os.listdir(self.base_dir))
            except OSError:
                names = []
            for name in names:
                folder = os.path.join(self.base_dir, name)
                if name.startswith(".") or not os.path.isdir(folder):
                    continue
                model = self.models.get(name)
                if model is None:
                    versions = self._versions(folder)
                    if not versions:
                        continue
                    model = self.models[name] = Model(name, folder)
                if self._update(model):
                    changed.append(name)
            self.last_scan = time.time()
            return changed

    def _update(self, model):
        current = model.serving.version if model.serving else 0
        for version in self._versions(model.folder):
            if version <= current:
                break
            path = os.path.join(model.folder, str(version))
            try:
                mtime = os.stat(path).st_mtime
            except OSError:
                continue
            if model.attempted.get(version) == mtime:
                continue  # failed before and unchanged since
            model.attempted[version] = mtime
            model.statuses[version] = _status("LOADING")
            started = time.perf_counter()
            try:
                servable = self.loader(model.name, version, path)
            except Exception as error:  # noqa: BLE001 - any failure to load is reported, not raised
                message = f"Failed to load {model.name} version {version}: {type(error).__name__}: {str(error)[:500]}"
                model.statuses[version] = _status("END", "UNKNOWN", message)
                log.warning("%s", message)
                continue
            # The statuses change before the servable does: a request that reaches the new version (another
            # thread, at any moment) must find it AVAILABLE in the status JSON, never still LOADING.
            model.statuses[version] = _status("AVAILABLE")
            if model.serving is not None:
                model.statuses[model.serving.version] = _status("END")
                log.info("model %s: version %d replaces version %d", model.name, version, model.serving.version)
            model.serving = servable
            log.info("model %s: version %d loaded in %.2f s", model.name, version, time.perf_counter() - started)
            return True
        return False

    def _model(self, name):
        check_model_name(name)
        model = self.models.get(name)
        if model is None:
            raise not_found(f"Servable not found for request: Latest({name[:100]})")
        return model

    def get(self, name, version=None):
        """The servable for `name` (its newest loaded version, or exactly `version`); 404 otherwise."""
        model = self._model(name)
        serving = model.serving
        if version is None:
            if serving is None:
                raise not_found(f"Servable not found for request: Latest({name}): no version of it has loaded")
            return serving
        version = parse_version(version)
        if serving is None or serving.version != version:
            raise not_found(f"Servable not found for request: Specific({name}, {version})")
        return serving

    def status(self, name, version=None):
        """TF Serving's `GetModelStatusResponse` JSON."""
        model = self._model(name)
        statuses = sorted(model.statuses.items(), reverse=True)
        if version is not None:
            version = parse_version(version)
            statuses = [(v, s) for v, s in statuses if v == version]
            if not statuses:
                raise not_found(f"Could not find version {version} of model {name}")
        return {"model_version_status": [{"version": str(v), **s} for v, s in statuses]}

    def names(self):
        return sorted(self.models)


MAX_VERSION = 2**63 - 1  # TF Serving's versions are int64


def is_version(text):
    """Whether `text` is a version: ASCII digits only (not `str.isdigit`, which takes "²"), within int64."""
    return (isinstance(text, str) and 0 < len(text) <= 19 and text.isascii() and text.isdigit()
            and int(text) <= MAX_VERSION)


def parse_version(version):
    if isinstance(version, int):
        return version
    if not is_version(version):
        raise ServingError(f"The version must be a non-negative integer within int64, in ASCII digits. Received: "
                           f"version={str(version)[:100]!r}", "INVALID_ARGUMENT")
    return int(version)
