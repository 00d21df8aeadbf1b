"""A seq2seq SavedModel: `translate` served by a process that never imports kerazoo."""

import json

import pytest

from kerazoo import build_seq2seq_lstm
from kerazoo import build_transformer
from kerazoo.data.seq2seq import PairVocabulary
from kerazoo.export import export_saved_model
from kerazoo.generation.translate import translate
from tests.test_case import randomize_weights
from tests.test_case import run_python

PAIRS = [("3 March 1998", "1998-03-03"), ("12/31/1999", "1999-12-31"), ("the 1st of May, 2001", "2001-05-01")]
SOURCES = ["3 March 1998", "1/1/2000", "zé?"]  # z, é and ? are not in the source vocabulary

SERVE = r"""
import json, sys
import tensorflow as tf
loaded = tf.saved_model.load(PATH)
out = {"signatures": sorted(loaded.signatures.keys())}
translate = loaded.signatures["translate"]
out["targets"] = [t.decode("utf-8") for t in translate(source=tf.constant(SOURCES))["target"].numpy()]
errors = {}
for name, batch in {"empty_source": ["3 May 2001", ""], "no_sources": []}.items():
    try:
        translate(source=tf.constant(batch, dtype=tf.string))
        errors[name] = None
    except tf.errors.InvalidArgumentError as error:
        errors[name] = error.message
out["errors"] = errors
out["kerazoo_imported"] = any(name.startswith("kerazoo") for name in sys.modules)
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module", params=["transformer", "seq2seq_lstm"])
def exported(request, tmp_path_factory):
    vocabulary = PairVocabulary.from_pairs(PAIRS)
    sizes = (vocabulary.source.size, vocabulary.target.size)
    if request.param == "transformer":
        model = build_transformer(*sizes, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16, max_sequence_length=12)
    else:
        model = build_seq2seq_lstm(*sizes, embedding_dim=4, units=8, max_sequence_length=12)
    randomize_weights(model, seed=7, scale=0.6)
    path = export_saved_model(model, vocabulary, "dates", base_dir=str(tmp_path_factory.mktemp("sm")), beam_width=2)
    code = SERVE.replace("PATH", repr(path)).replace("SOURCES", repr(SOURCES))
    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT"))
    return model, vocabulary, json.loads(line[len("RESULT"):])


def test_translate_is_served_without_kerazoo_and_equals_the_python_api(exported):
    model, vocabulary, served = exported
    assert served["kerazoo_imported"] is False
    assert served["signatures"] == ["serving_default", "translate"]
    assert served["targets"] == translate(model, vocabulary, SOURCES, beam_width=2)


def test_bad_sources_get_clear_errors(exported):
    model, vocabulary, served = exported
    assert "every `source` must hold at least one character" in served["errors"]["empty_source"]
    assert "`source` must hold at least one string" in served["errors"]["no_sources"]
    with pytest.raises(ValueError, match="empty sources at positions \\[1\\]"):
        translate(model, vocabulary, ["3 May 2001", ""])
    with pytest.raises(ValueError, match="beam_width=0"):
        translate(model, vocabulary, ["3 May 2001"], beam_width=0)
