"""The GPT's SavedModel: served by a process that never imports kerazoo, decoding through its cache."""

import json

import numpy as np
import pytest
import keras

from kerazoo import build_gpt
from kerazoo.export import export_saved_model
from kerazoo.generation import generate_text
from tests.export.test_saved_model import PROMPTS
from tests.export.test_saved_model import SERVE
from tests.test_case import randomize_weights
from tests.test_case import run_python
from tests.test_case import tiny_vocabulary

CONTEXT = 48


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("saved_models")
    vocabulary = tiny_vocabulary()
    model = build_gpt(vocabulary.size, num_layers=2, num_heads=2, hidden_dim=16, max_sequence_length=CONTEXT)
    randomize_weights(model, seed=4, scale=0.3)
    path = export_saved_model(model, vocabulary, "tiny_gpt", base_dir=str(base))
    ids = vocabulary.encode("ROMEO:\nBut")[None, :].repeat(2, axis=0)
    ids[1] = ids[1][::-1]
    code = SERVE.replace("PATH", repr(path)).replace("IDS", repr(ids.tolist())).replace("PROMPTS", repr(PROMPTS))
    code = code.replace('out["greedy"] =', 'out["long"] = [t.decode("utf-8") for t in call(["abc"], max_length=70, seed=5)]\nout["greedy"] =')
    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT"))
    return model, vocabulary, path, ids, json.loads(line[len("RESULT"):])


def test_gpt_is_served_without_kerazoo(exported):
    model, _, _, ids, served = exported
    assert served["kerazoo_imported"] is False
    # `step` carries the key/value cache between calls (added for streaming servers).
    assert served["signatures"] == ["generate", "serving_default", "step"]
    np.testing.assert_allclose(served["logits"], keras.ops.convert_to_numpy(model(ids)), atol=1e-5)


def test_gpt_step_carries_its_cache_and_gives_the_full_pass_logits(exported):
    _, _, _, _, served = exported
    np.testing.assert_allclose(served["stepped_logits"], served["logits"], atol=1e-5)


def test_gpt_generate_gives_the_same_text_as_the_python_api(exported):
    model, vocabulary, _, _, served = exported
    assert served["text"] == generate_text(model, vocabulary, PROMPTS, 30, 0.9, 5, 11)
    assert served["greedy"] == generate_text(model, vocabulary, PROMPTS, 30, 0.0, 0, 0)
    assert served["nucleus"] == generate_text(model, vocabulary, PROMPTS, 30, 1.0, 0, 3, top_p=0.8)
    # Past the context of 48 the window slides, in the SavedModel as in Python.
    assert served["long"] == generate_text(model, vocabulary, ["abc"], 70, 0.9, 5, 5)
    assert len(served["long"][0]) == 73


@pytest.mark.parametrize(
    "case,message",
    [
        ("max_length_too_large", "`max_length` must be <= 10000"),
        ("negative_temperature", "`temperature` must be >= 0"),
        ("top_p_zero", "`top_p` must be in (0, 1]"),
        ("empty_prompts", "every `prompt` must hold at least one character"),
    ],
)
def test_gpt_bad_input_is_refused_and_the_server_stays_up(exported, case, message):
    _, _, _, _, served = exported
    assert served["errors"][case] is not None and message in served["errors"][case]
    assert len(served["after_errors"][0]) == 4

