"""Every signature bounds the work one call may ask for, checks sizes before it allocates, and its
errors are safe for any bytes: tried as a hostile client would, with plain tf.saved_model.load."""

import json

import numpy as np
import pytest

from kerazoo import build_gpt
from kerazoo import build_transformer
from kerazoo.data.seq2seq import PairVocabulary
from kerazoo.export import export_saved_model
from kerazoo.export import export_word_vectors
from kerazoo.generation import generate_text
from kerazoo.models.word2vec import KeyedVectors
from tests.test_case import randomize_weights
from tests.test_case import run_python
from tests.test_case import tiny_vocabulary

LIMITS = {"max_batch": 8, "max_prompt_length": 1000, "max_source_length": 32, "max_words": 16}

HOSTILE = r"""
import json, resource, sys
import tensorflow as tf

gpt, dates, words = (tf.saved_model.load(path) for path in sys.argv[1:4])
out, errors = {}, {}

def refused(name, call):
    try:
        call()
        errors[name] = None
    except tf.errors.InvalidArgumentError as error:
        errors[name] = error.message[:2000]

def generate(prompts, max_length=10, seed=1):
    return gpt.signatures["generate"](
        prompt=tf.constant(prompts), max_length=tf.constant(max_length), temperature=tf.constant(0.9),
        top_k=tf.constant(0), top_p=tf.constant(1.0), seed=tf.constant(seed))["text"].numpy()

generate(["ab"], max_length=2)  # the first call builds what every call needs
out["rss_mb_before_max_length"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
refused("max_length_2_31", lambda: generate(["ab"], max_length=2**31 - 1))
out["rss_mb_after_max_length"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
refused("prompt_20000", lambda: generate(["x" * 20000]))
refused("batch_4096", lambda: generate(["ab"] * 4096))
refused("token_ids_batch", lambda: gpt.signatures["serving_default"](token_ids=tf.zeros([4096, 2], tf.int32)))
refused("source_20000", lambda: dates.signatures["translate"](source=tf.constant(["1" * 20000])))
refused("words_100", lambda: words.signatures["embed"](words=tf.constant(["a"] * 100)))
bad_word = tf.constant(b"\xff\xfe\x80abc")
refused("word_not_utf8", lambda: words.signatures["most_similar"](word=bad_word, topn=tf.constant(2)))
out["errors"] = errors
# A long prompt within the limits is read in one pass, and the text matches the Python API.
out["long"] = [t.decode("utf-8") for t in generate(["ROMEO: " * 140], max_length=20, seed=3)]
out["after"] = [t.decode("utf-8") for t in generate(["O"], max_length=3)]
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("saved_models"))
    vocabulary = tiny_vocabulary()
    gpt = randomize_weights(build_gpt(vocabulary.size, num_layers=1, num_heads=2, hidden_dim=8, max_sequence_length=16),
                            seed=2, scale=0.3)
    pairs = PairVocabulary.from_pairs([("3 March 1998", "1998-03-03"), ("12/31/1999", "1999-12-31")])
    transformer = build_transformer(pairs.source.size, pairs.target.size, num_layers=1, num_heads=2, hidden_dim=8,
                                    intermediate_dim=8, max_sequence_length=12)
    vectors = KeyedVectors([f"w{i}" for i in range(10)], np.random.default_rng(0).normal(size=(10, 4)))
    paths = [
        export_saved_model(gpt, vocabulary, "gpt", base, limits=LIMITS),
        export_saved_model(transformer, pairs, "dates", base, limits=LIMITS),
        export_word_vectors(vectors, "words", base, limits=LIMITS),
    ]
    process = run_python(HOSTILE.replace("sys.argv[1:4]", repr(paths)), env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    return gpt, vocabulary, paths, json.loads(process.stdout.split("RESULT")[-1])


@pytest.mark.parametrize(
    "case,message",
    [
        ("max_length_2_31", "`max_length` must be <= 10000"),
        ("prompt_20000", "every `prompt` must hold at most 1000 characters"),
        ("batch_4096", "`prompt` must hold at most 8 rows"),
        ("token_ids_batch", "`token_ids` must hold at most 8 rows"),
        ("source_20000", "every `source` must hold at most 32 characters"),
        ("words_100", "`words` must hold at most 16 words"),
        ("word_not_utf8", "`word` is not in the vocabulary"),
    ],
)
def test_a_hostile_call_is_refused_with_a_named_limit(served, case, message):
    *_, result = served
    assert result["errors"][case] is not None, f"{case} was accepted"
    assert message in result["errors"][case]
    assert len(result["after"][0]) == len("O") + 3


def test_a_refused_size_allocates_nothing_first(served):
    """2^31-1 characters would need gigabytes; the check runs before the buffer exists."""
    *_, result = served
    # The peak RSS of the process may not grow by a gigabyte (the buffer would be 8 GiB); what TensorFlow and
    # three SavedModels take before the call differs from machine to machine, so only the growth is judged.
    grown = result["rss_mb_after_max_length"] - result["rss_mb_before_max_length"]
    assert grown < 1000, result


def test_a_long_prompt_within_the_limits_gives_the_python_api_text(served):
    gpt, vocabulary, _, result = served
    assert result["long"] == generate_text(gpt, vocabulary, ["ROMEO: " * 140], 20, 0.9, 0, 3)
