"""An ELMo SavedModel: `embed` served by a process that never imports kerazoo."""

import json
import os

import numpy as np
import pytest

from kerazoo.export import export_saved_model
from kerazoo.export.serving import embed_from_saved_model
from kerazoo.models.elmo import ElmoEmbedder
from kerazoo.models.elmo import build_elmo
from kerazoo.models.elmo.elmo_vocabulary import BilmVocabulary
from tests.test_case import randomize_weights
from tests.test_case import run_python

LONG = "Honorificabilitudinitatibus" * 3  # 81 characters: cut to 48
SENTENCES = ["I watch the play", "my   watch\tstopped !", "naïve\u00a0café — “quoted”", LONG + " ends", "x"]

SERVE = r"""
import json, sys
import tensorflow as tf
loaded = tf.saved_model.load(PATH)
out = {"signatures": sorted(loaded.signatures.keys())}
embed = loaded.signatures["embed"]
result = embed(sentences=tf.constant(SENTENCES))
out["outputs"] = {name: value.numpy().tolist() for name, value in result.items()}
cut = embed(sentences=tf.constant([LONG[:48] + " ends"]))
out["cut"] = cut["word_emb"].numpy().tolist()
errors = {}
for name, batch in {"empty_sentence": ["a b", "   "], "no_sentences": []}.items():
    try:
        embed(sentences=tf.constant(batch, dtype=tf.string))
        errors[name] = None
    except tf.errors.InvalidArgumentError as error:
        errors[name] = error.message
out["errors"] = errors
out["after_errors"] = embed(sentences=tf.constant(["still serving"]))["default"].numpy().shape[0]
out["kerazoo_imported"] = any(name.startswith("kerazoo") for name in sys.modules)
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    vocabulary = BilmVocabulary.from_tokens("I watch the play my stopped".split())
    bilm = build_elmo(vocabulary.size, character_filters=[(1, 4), (2, 4)], character_embedding_dim=4,
                      projection_dim=4, lstm_units=8, dropout=0.0)
    randomize_weights(bilm, seed=5, scale=0.6)
    path = export_saved_model(bilm, vocabulary, "elmo", base_dir=str(tmp_path_factory.mktemp("sm")))
    code = SERVE.replace("PATH", repr(path)).replace("SENTENCES", repr(SENTENCES)).replace("LONG", repr(LONG))
    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT"))
    return bilm, path, json.loads(line[len("RESULT"):])


def test_embed_is_served_without_kerazoo_and_equals_the_python_api(exported):
    bilm, path, served = exported
    assert served["kerazoo_imported"] is False
    assert served["signatures"] == ["embed", "serving_default"]
    expected = ElmoEmbedder(bilm).embed(SENTENCES)
    assert sorted(served["outputs"]) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(np.array(served["outputs"][name]), value, atol=1e-5, err_msg=name)
    # A no-break space is not ASCII whitespace: "naïve\u00a0café" stays one token, on both sides.
    assert served["outputs"]["sequence_len"] == [4, 4, 3, 2, 1]
    with open(os.path.join(path, "assets", "kerazoo.json"), encoding="utf-8") as f:
        info = json.load(f)
    assert info["model_class"] == "ElmoEmbedder" and info["max_characters"] == 50


def test_a_long_token_is_cut_to_48_bytes_and_non_ascii_is_embedded(exported):
    _, _, served = exported
    np.testing.assert_allclose(np.array(served["cut"])[0], np.array(served["outputs"]["word_emb"])[3, :2], atol=1e-6)
    assert np.all(np.isfinite(np.array(served["outputs"]["elmo"])))


def test_bad_batches_get_clear_errors_and_the_server_keeps_serving(exported):
    _, path, served = exported
    assert "every sentence must hold at least one whitespace-separated token" in served["errors"]["empty_sentence"]
    assert "`sentences` must hold at least one sentence" in served["errors"]["no_sentences"]
    assert served["after_errors"] == 1
    with pytest.raises(ValueError, match="every sentence must hold at least one"):
        embed_from_saved_model(path, ["fine", ""])
