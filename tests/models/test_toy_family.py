"""A family is one folder: a bigram character model, defined here and registered with one line, goes
through train -> generate -> export -> a SavedModel served without kerazoo, with no change to shared code."""

import json
import os

import keras
import numpy as np
import pytest
from keras import ops

from kerazoo.cli import main
from kerazoo.generation import generate_text
from kerazoo.generation.decoding import DecodingMixin
from kerazoo.models.causal_lm import CAUSAL_LM_FLAGS
from kerazoo.models.causal_lm import CausalLMFamily
from kerazoo.models.registry import register_family
from kerazoo.models.registry import unregister_family
from kerazoo.training import load_run
from tests.export.test_saved_model import SERVE
from tests.test_case import run_python


@keras.saving.register_keras_serializable(package="kerazoo_tests")
class BigramLM(DecodingMixin, keras.Model):
    """p(next | current) = softmax(W[current]): a table of logits, one row per character."""

    def __init__(self, vocabulary_size, **kwargs):
        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        table = keras.layers.Embedding(vocabulary_size, vocabulary_size, name="bigram_logits")
        super().__init__(inputs=token_ids, outputs=table(token_ids), **kwargs)
        self.table = table
        self.vocabulary_size = vocabulary_size

    # The decoding protocol: the state is empty, the logits come from the current token alone.
    def initial_decoding_state(self, batch_size):
        return ops.zeros((batch_size, 1))

    def decoding_step(self, token_ids, state):
        return self.table(token_ids), state

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "vocabulary_size": self.vocabulary_size}


def build_bigram(vocabulary_size):
    """A bigram character model: the next character's logits depend on the current one only."""
    return BigramLM(vocabulary_size, name="bigram")


class BigramFamily(CausalLMFamily):
    name = "bigram"
    description = "A bigram character language model (a test of the Family protocol)."
    builders = {"bigram": build_bigram}
    model_classes = (BigramLM,)
    presets = {}
    default_model = "bigram"
    flags = CAUSAL_LM_FLAGS


@pytest.fixture
def bigram_family():
    family = register_family(BigramFamily())  # the one line that adds a family
    yield family
    unregister_family(family.name)


def test_a_family_defined_outside_kerazoo_trains_generates_exports_and_serves(bigram_family, tiny_text_file, tmp_path,
                                                                               capsys):
    run = str(tmp_path / "run")
    code = main([
        "train", "bigram", "--corpus", tiny_text_file, "--output", run, "--epochs", "2", "--steps-per-epoch", "20",
        "--batch-size", "4", "--seq-length", "10", "--learning-rate", "0.1", "--sample-every", "0", "--verbose", "0",
    ])
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    with open(os.path.join(run, "config.json"), encoding="utf-8") as f:
        assert json.load(f)["family"] == "bigram"
    # It learned the corpus's bigrams: well below the uniform loss ln(vocabulary size).
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    assert summary["best_val_loss"] < 0.8 * np.log(metrics["vocabulary_size"])

    assert main(["generate", run, "--prompt", "RO", "--prompt", "JULIET", "--length", "12", "--seed", "4"]) == 0
    from_run = capsys.readouterr().out
    base = str(tmp_path / "saved_models")
    assert main(["export", run, "--name", "bigram", "--base-dir", base]) == 0
    path = capsys.readouterr().out.strip()
    with open(os.path.join(path, "assets", "kerazoo.json"), encoding="utf-8") as f:
        info = json.load(f)
    assert info["family"] == "bigram" and info["signatures"] == ["serving_default", "generate"]

    # A process that never imports kerazoo serves it, with the Python API's text and logits.
    model, vocabulary = load_run(run)
    prompts = ["RO", "JULIET"]
    ids = vocabulary.encode("ROMEO:")[None, :]
    code = SERVE.replace("PATH", repr(path)).replace("IDS", repr(ids.tolist())).replace("PROMPTS", repr(prompts))
    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    served = json.loads(process.stdout.split("RESULT")[-1])
    assert served["kerazoo_imported"] is False
    assert served["text"] == generate_text(model, vocabulary, prompts, 30, 0.9, 5, 11)
    np.testing.assert_allclose(served["logits"], keras.ops.convert_to_numpy(model(ids)), atol=1e-5)
    assert from_run == "".join(text + "\n" for text in generate_text(model, vocabulary, prompts, 12, 0.8, 0, 4))
