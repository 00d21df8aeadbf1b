import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import keras

from kerazoo import build_lstm
from kerazoo.export import export_saved_model
from kerazoo.generation import generate_text
from tests.test_case import randomize_weights
from tests.test_case import run_python
from tests.test_case import tiny_vocabulary

PROMPTS = ["ROMEO:", "O", "Zé what"]  # different lengths; Z and é are not in the vocabulary

# Runs in a fresh interpreter that never imports kerazoo, as a server would.
SERVE = r"""
import json, sys
import numpy as np
import tensorflow as tf

path = sys.argv[1] if len(sys.argv) > 1 else PATH
loaded = tf.saved_model.load(path)
out = {"signatures": sorted(loaded.signatures.keys())}
ids = tf.constant(IDS, dtype=tf.int32)
out["logits"] = loaded.signatures["serving_default"](token_ids=ids)["logits"].numpy().tolist()

if "step" in loaded.signatures:
    step = loaded.signatures["step"]
    # Every input but the tokens is state; a stream starts from zeros (batch first, a scalar stays one).
    state = {
        name: tf.zeros([ids.shape[0], *spec.shape[1:]] if spec.shape.rank else [], spec.dtype)
        for name, spec in step.structured_input_signature[1].items() if name != "token_ids"
    }
    pieces = []
    for t in range(ids.shape[1]):  # one token per call, the state sent back each time
        result = step(token_ids=ids[:, t : t + 1], **state)
        pieces.append(result["logits"].numpy())
        state = {name: result[name] for name in state}
    out["stepped_logits"] = np.concatenate(pieces, axis=1).tolist()

generate = loaded.signatures["generate"]
def call(prompts, max_length=30, temperature=0.9, top_k=5, seed=11, top_p=1.0):
    return generate(
        prompt=tf.constant(prompts, dtype=tf.string),
        max_length=tf.constant(max_length, dtype=tf.int32),
        temperature=tf.constant(temperature, dtype=tf.float32),
        top_k=tf.constant(top_k, dtype=tf.int32),
        top_p=tf.constant(top_p, dtype=tf.float32),
        seed=tf.constant(seed, dtype=tf.int32),
    )["text"].numpy()
out["text"] = [t.decode("utf-8") for t in call(PROMPTS)]
out["greedy"] = [t.decode("utf-8") for t in call(PROMPTS, temperature=0.0, top_k=0)]
out["nucleus"] = [t.decode("utf-8") for t in call(PROMPTS, temperature=1.0, top_k=0, top_p=0.8, seed=3)]

errors = {}
bad = {
    "negative_temperature": dict(prompts=["a"], temperature=-1.0),
    "max_length_zero": dict(prompts=["a"], max_length=0),
    "max_length_too_large": dict(prompts=["a"], max_length=10001),
    "empty_prompts": dict(prompts=["", ""]),
    "one_empty_prompt": dict(prompts=["abc", ""]),
    "negative_top_k": dict(prompts=["a"], top_k=-3),
    "top_p_zero": dict(prompts=["a"], top_p=0.0),
    "top_p_above_one": dict(prompts=["a"], top_p=1.5),
}
for name, kwargs in bad.items():
    try:
        call(**kwargs)
        errors[name] = None
    except tf.errors.InvalidArgumentError as error:
        errors[name] = error.message
try:
    loaded.signatures["serving_default"](token_ids=tf.constant([[999]], dtype=tf.int32))
    errors["id_out_of_range"] = None
except tf.errors.InvalidArgumentError as error:
    errors["id_out_of_range"] = error.message
out["errors"] = errors
# The server is still up after the bad calls.
out["after_errors"] = [t.decode("utf-8") for t in call(["O"], max_length=3, temperature=0.0)]
out["kerazoo_imported"] = any(name.startswith("kerazoo") for name in sys.modules)
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("saved_models")
    vocabulary = tiny_vocabulary()
    model = build_lstm(vocabulary.size, units=8, num_layers=2, embedding_dim=4)
    randomize_weights(model, seed=9, scale=0.8)
    path = export_saved_model(model, vocabulary, "shakespeare_lstm", base_dir=str(base))
    ids = vocabulary.encode("ROMEO:\nBut")[None, :].repeat(2, axis=0)
    ids[1] = ids[1][::-1]
    code = SERVE.replace("PATH", repr(path)).replace("IDS", repr(ids.tolist())).replace("PROMPTS", repr(PROMPTS))
    env = {"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"}
    process = run_python(code, env=env)
    assert process.returncode == 0, process.stderr[-3000:]
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT"))
    return model, vocabulary, path, ids, json.loads(line[len("RESULT"):])


def test_served_without_kerazoo(exported):
    _, _, path, _, served = exported
    assert served["kerazoo_imported"] is False
    assert served["signatures"] == ["generate", "serving_default", "step"]
    assert os.path.basename(path) == "1"
    assert os.path.isfile(os.path.join(path, "assets", "vocabulary.json"))


def test_serving_default_gives_the_model_logits(exported):
    model, _, _, ids, served = exported
    np.testing.assert_allclose(served["logits"], keras.ops.convert_to_numpy(model(ids)), atol=1e-5)


def test_step_streams_without_resending_history(exported):
    _, _, _, _, served = exported
    np.testing.assert_allclose(served["stepped_logits"], served["logits"], atol=1e-5)


def test_generate_gives_the_same_text_as_the_python_api(exported):
    model, vocabulary, _, _, served = exported
    assert served["text"] == generate_text(model, vocabulary, PROMPTS, 30, 0.9, 5, 11)
    assert served["greedy"] == generate_text(model, vocabulary, PROMPTS, 30, 0.0, 0, 0)
    assert served["nucleus"] == generate_text(model, vocabulary, PROMPTS, 30, 1.0, 0, 3, top_p=0.8)
    for prompt, text in zip(PROMPTS, served["text"]):
        assert text.startswith(prompt) and len(text) == len(prompt) + 30


@pytest.mark.parametrize(
    "case,message",
    [
        ("negative_temperature", "`temperature` must be >= 0"),
        ("max_length_zero", "`max_length` must be >= 1"),
        ("max_length_too_large", "`max_length` must be <= 10000"),
        ("empty_prompts", "every `prompt` must hold at least one character"),
        ("one_empty_prompt", "every `prompt` must hold at least one character"),
        ("negative_top_k", "`top_k` must be >= 0"),
        ("top_p_zero", "`top_p` must be in (0, 1]"),
        ("top_p_above_one", "`top_p` must be in (0, 1]"),
        ("id_out_of_range", "`token_ids` must be < the vocabulary size"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(exported, case, message):
    _, _, _, _, served = exported
    assert served["errors"][case] is not None, f"{case} was accepted"
    assert message in served["errors"][case]
    assert len(served["after_errors"][0]) == 4


def test_saved_model_cli_lists_the_signatures(exported):
    _, _, path, _, _ = exported
    cli = shutil.which("saved_model_cli")
    if cli is None:
        pytest.skip("saved_model_cli is not on PATH")
    shown = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr[-2000:]
    for name in ("serving_default", "generate", "step", "token_ids", "max_length", "temperature", "top_k", "top_p", "seed", "state"):
        assert name in shown.stdout, name


def test_versions_count_up_and_leave_no_staging_folder(exported):
    model, vocabulary, path, _, _ = exported
    base = os.path.dirname(os.path.dirname(path))
    second = export_saved_model(model, vocabulary, "shakespeare_lstm", base_dir=base)
    assert os.path.basename(second) == "2"
    assert sorted(os.listdir(os.path.dirname(path))) == ["1", "2"]


@pytest.mark.parametrize("name", ["", "../escape", ".hidden"])
def test_bad_model_names(name, tmp_path):
    vocabulary = tiny_vocabulary()
    with pytest.raises(ValueError, match="`name`"):
        export_saved_model(build_lstm(vocabulary.size, units=2, num_layers=1), vocabulary, name, str(tmp_path))
