import importlib.util

import pytest

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
