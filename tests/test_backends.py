import importlib.util
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from tests.backend_cases import CASE_NAMES
from tests.backend_cases import CASES
from tests.backend_cases import get_case
from tests.backend_cases import logits
from tests.backend_cases import make_model
from tests.test_case import run_python

# Any attempt to import TensorFlow fails, as on a machine without it.
BLOCK_TENSORFLOW = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ImportError("TensorFlow is blocked in this test")
sys.meta_path.insert(0, Block())
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
def test_import_kerazoo_on_jax_needs_no_tensorflow():
    code = BLOCK_TENSORFLOW + r"""
import numpy as np
import kerazoo
from kerazoo import build_lstm, CharVocabulary
from kerazoo.generation import generate_text
from kerazoo.data.corpora import load_corpus
assert not any(name.startswith("tensorflow") for name in sys.modules)
corpus = load_corpus("shakespeare")  # rendered directly: no tfds without TensorFlow
vocabulary = CharVocabulary.from_text(corpus.train[:5000])
model = build_lstm(vocabulary.size, units=8, num_layers=2, embedding_dim=4)
print("TEXT" + generate_text(model, vocabulary, "ROMEO:", max_length=10, temperature=0.0))
"""
    process = run_python(code, env={"KERAS_BACKEND": "jax"})
    assert process.returncode == 0, process.stderr[-3000:]
    assert "TEXT" + "ROMEO:" in process.stdout


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
def test_training_on_jax_from_a_text_file_without_tensorflow(tiny_text_file, tmp_path):
    code = BLOCK_TENSORFLOW + f"""
from kerazoo.training import resolve_config, train
config = resolve_config(model="lstm", model_kwargs={{"units": 8, "num_layers": 1, "embedding_dim": 4}},
                        corpus={tiny_text_file!r}, seq_length=10, batch_size=4, epochs=2,
                        steps_per_epoch=3, sample_every=3, verbose=0, learning_rate=0.02)
_, _, metrics = train(config, {str(tmp_path / 'run')!r})
assert metrics["backend"] == "jax" and metrics["steps"] == 6, metrics
assert not any(name.startswith("tensorflow") for name in sys.modules)
print("OK", metrics["history"][-1]["loss"] < metrics["history"][0]["loss"])
"""
    process = run_python(code, env={"KERAS_BACKEND": "jax"})
    assert process.returncode == 0, process.stderr[-3000:]
    assert "OK True" in process.stdout


# --- The JAX subset, and cross-backend agreement for every family (tests/backend_cases.py) ---

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OTHER_BACKENDS = [
    pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"needs {name}"))
    for name in ("jax", "torch")
]


def run_subset(backend, folder):
    """Runs the marked subset through the README's test command on `backend`, writing its files to `folder`."""
    env = dict(os.environ, KERAS_BACKEND=backend, KERAZOO_BACKEND_ARTIFACTS=folder)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPOSITORY, os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-m", "jax", "-p", "no:cacheprovider",
               "tests/test_jax_subset.py"]
    return subprocess.run(command, cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module", params=OTHER_BACKENDS)
def trained_elsewhere(request, tmp_path_factory):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("loads on TensorFlow")
    folder = str(tmp_path_factory.mktemp(f"trained-on-{request.param}"))
    process = run_subset(request.param, folder)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    # Per case: the fit, the reload and, for a family that generates, the generation test.
    expected = 2 * len(CASES) + sum(case.generate is not None for case in CASES)
    assert f"{expected} passed" in process.stdout, process.stdout[-3000:]
    return request.param, folder


@pytest.mark.slow
@pytest.mark.parametrize("name", CASE_NAMES)
def test_same_weights_give_the_same_logits_and_text_on_tensorflow(trained_elsewhere, name):
    """A model trained on JAX (or torch) loads on TensorFlow with its logits and greedy text."""
    backend, folder = trained_elsewhere
    case = get_case(name)
    saved = np.load(os.path.join(folder, f"{name}.npz"))
    fresh, vocabulary = make_model(case)  # the same seeded weights, built on TensorFlow
    np.testing.assert_allclose(logits(fresh, case, vocabulary), saved["before"], atol=2e-5, rtol=1e-5)
    restored = keras.saving.load_model(os.path.join(folder, f"{name}.keras"))
    after = logits(restored, case, vocabulary)
    np.testing.assert_allclose(after, saved["after"], atol=2e-5, rtol=1e-5)
    assert not np.allclose(saved["after"], saved["before"], atol=1e-3)  # the file holds the trained weights
    if case.generate is not None:
        assert case.generate(restored, vocabulary) == json.loads(str(saved["text"]))


# One case of each kind of signature set: a recurrent and an attention language model, a text encoder-decoder, an
# image captioner and a chat model. Every case's `.keras` file from JAX already loads on TensorFlow with its logits
# (above), and each family's own tests export it; tracing all eleven exportable cases' signatures again was the
# longest test of a loaded run (204 s).
EXPORTED_FROM_JAX = ("lstm", "gpt", "transformer", "captioner", "chat_transformer")


@pytest.mark.slow
def test_models_trained_on_jax_export_a_saved_model_on_tensorflow(trained_elsewhere, tmp_path):
    import tensorflow as tf

    from kerazoo.export import export_saved_model

    backend, folder = trained_elsewhere
    if backend != "jax":
        pytest.skip("the JAX run covers export")
    assert set(EXPORTED_FROM_JAX) <= {case.name for case in CASES if case.export}
    for case in CASES:
        if case.name not in EXPORTED_FROM_JAX:
            continue
        vocabulary = case.vocabulary()
        model = keras.saving.load_model(os.path.join(folder, f"{case.name}.keras"))
        path = export_saved_model(model, vocabulary, case.name, base_dir=str(tmp_path))
        serving = tf.saved_model.load(path).signatures["serving_default"]
        inputs = case.inputs(vocabulary)
        inputs = {"token_ids": inputs} if not isinstance(inputs, dict) else inputs
        served = serving(**{key: tf.constant(value) for key, value in inputs.items()})["logits"].numpy()
        saved = np.load(os.path.join(folder, f"{case.name}.npz"))
        np.testing.assert_allclose(served, saved["after"], atol=2e-5, rtol=1e-5, err_msg=case.name)


def test_every_registered_family_has_a_tiny_case_or_says_why_not():
    from kerazoo.models.registry import FAMILIES
    from tests.backend_cases import FAMILY_CASES
    from tests.backend_cases import NO_BACKEND_CASE

    missing = [f.name for f in FAMILIES if f.name not in FAMILY_CASES and f.name not in NO_BACKEND_CASE]
    assert not missing, f"add the tiny cases of {missing} to tests/backend_cases.py FAMILY_CASES"
