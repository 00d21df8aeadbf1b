"""Shared helpers for the tests (KerasHub style): tiny configurations and round-trip checks."""

import os
import subprocess
import sys

import numpy as np
import keras

from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.models.causal_lm import TINY_TEXT  # noqa: F401  (the families' tiny cases read it too)


def tiny_vocabulary():
    return CharVocabulary.from_text(TINY_TEXT)


def random_ids(vocabulary_size, batch=2, time=5, seed=0):
    return np.random.default_rng(seed).integers(0, vocabulary_size, size=(batch, time)).astype("int32")


def randomize_weights(model, seed=0, scale=0.5):
    """Fixed non-trivial weights, so equivalence checks cannot pass by accident (e.g. zero biases)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, scale, w.shape).astype("float32") for w in model.get_weights()])
    return model


def run_model_saving_test(model, inputs, tmp_path):
    """The model survives `.keras` save/load and get_config/from_config with identical outputs."""
    expected = keras.ops.convert_to_numpy(model(inputs))
    path = os.path.join(str(tmp_path), "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(inputs)), expected, atol=1e-6)
    clone = model.__class__.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(inputs)), expected, atol=1e-6)
    assert clone.get_config() == model.get_config()
    return restored


def run_python(code, env=None, timeout=300):
    """Runs `code` in a fresh interpreter and returns the completed process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout
    )
