"""The n-gram family: its equations against NumPy and brute force, NLTK's nltk.lm, and the run/export/serve path."""

import collections
import json
import os

import keras
import numpy as np
import pytest

from kerazoo.cli import main
from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.generation import generate_text
from kerazoo.models.family import Family
from kerazoo.models.ngram import distinct_contexts
from kerazoo.models.ngram import ngram_counts
from kerazoo.models.ngram.ngram_family import NGRAM_FAMILY
from kerazoo.models.ngram.ngram_model import build_ngram
from kerazoo.models.ngram.ngram_vocabulary import TokenVocabulary
from kerazoo.models.registry import get_family
from kerazoo.training import load_run
from tests.test_case import TINY_TEXT
from tests.test_case import run_python

TEXT = TINY_TEXT * 2
# Held-out text made of characters the training text has, each seen after something (finite under NLTK's KN).
HELDOUT = "O Romeo, what light? But soft, thou art JULIET?\n"


def trained(text, order, unit_vocabulary=None, **kwargs):
    vocabulary = unit_vocabulary or CharVocabulary.from_text(text)
    ids = vocabulary.encode(text)
    model = build_ngram(vocabulary.size, order=order, **kwargs)
    levels = ngram_counts.count_ngrams(ids, order, vocabulary.size)
    model.set_tables(*ngram_counts.estimate(levels, vocabulary.size, model.smoothing, model.discount, model.k,
                                            model.base), ngram_counts.stored_counts(levels, model.smoothing))
    return model, vocabulary, levels


def brute_force_kn(ids, order, size, discount, history, word):
    """Interpolated Kneser-Ney straight from its definition, over Python dicts of the padded stream."""
    stream = [0] * (order - 1) + list(ids)
    grams = collections.Counter()
    for t in range(order - 1, len(stream)):
        for k in range(1, order + 1):
            grams[tuple(stream[t - k + 1 : t + 1])] += 1

    def a(gram):  # raw counts at the top order, continuation counts N1+(. gram) below it
        if len(gram) == order:
            return grams[gram]
        return sum(1 for g in grams if len(g) == len(gram) + 1 and g[1:] == gram)

    def p(h, w):
        lower = 1.0 / size if not h else p(h[1:], w)
        followers = [g for g in grams if len(g) == len(h) + 1 and g[:-1] == h and a(g)]
        total = sum(a(g) for g in followers)
        if not total:
            return lower
        return max(a(h + (w,)) - discount, 0) / total + discount * len(followers) / total * lower

    return p(tuple(history[len(history) - (order - 1):]) if order > 1 else (), word)


@pytest.mark.parametrize("smoothing", ["kn", "modified-kn", "add-k"])
@pytest.mark.parametrize("order", [1, 2, 3, 6])
def test_every_context_s_distribution_sums_to_one_over_the_vocabulary(smoothing, order):
    model, vocabulary, _ = trained(TEXT, order, smoothing=smoothing, k=0.3)
    ids = vocabulary.encode(TEXT)
    # Every context of the text, and unseen ones (random histories) too.
    histories, _ = ngram_counts.padded_windows(ids, order)
    random = np.random.default_rng(0).integers(0, vocabulary.size, size=(50, histories.shape[1]))
    p = keras.ops.convert_to_numpy(model.table.distribution(np.concatenate([histories, random]).astype(np.int32)))
    assert p.min() > 0
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=2e-6)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_kneser_ney_equals_its_definition_by_brute_force(order):
    model, vocabulary, _ = trained(TEXT[:60], order, discount=0.6)
    ids = vocabulary.encode(TEXT[:60])
    for history in ([0, 0], list(ids[10:12]), [5, 3], list(ids[30:32])):
        history = history[-(order - 1):] if order > 1 else [0]
        p = keras.ops.convert_to_numpy(model.table.distribution(np.array([history], np.int32)))[0]
        expected = [brute_force_kn(ids, order, vocabulary.size, 0.6, history, w) for w in range(vocabulary.size)]
        np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-7)


def test_continuation_counts_are_distinct_left_neighbours():
    ids = np.array([1, 2, 1, 2, 3, 2, 3, 1, 2])
    levels = ngram_counts.count_ngrams(ids, 2, 4)
    unigram = levels[0]
    stream = [0] + list(ids)
    for word, count in zip(unigram["entry_word"], unigram["continuation"]):
        left = {stream[t - 1] for t in range(1, len(stream)) if stream[t] == word}
        assert count == len(left)
    # Bigram raw counts equal a count over the padded stream.
    bigrams = collections.Counter(zip(stream[:-1], stream[1:]))
    top = levels[1]
    tokens = top["context_token"][top["entry_context"]]
    assert {(int(h), int(w)): int(c) for h, w, c in zip(tokens, top["entry_word"], top["count"])} == bigrams


def test_the_target_lookup_equals_the_whole_distribution():
    model, vocabulary, _ = trained(TEXT, 4, smoothing="modified-kn")
    ids = vocabulary.encode(HELDOUT)
    logits = keras.ops.convert_to_numpy(model(ids[None, :]))[0]
    log_p = model.log_probabilities(ids)
    np.testing.assert_allclose(log_p[1:], logits[np.arange(len(ids) - 1), ids[1:]], atol=1e-5)


def nltk_grams(tokens, order):
    """The same counts NLTK is given: at each position (after order - 1 pads), its k-grams for k = 1..order."""
    padded = ["<s>"] * (order - 1) + list(tokens)
    return [tuple(padded[t - k + 1 : t + 1]) for t in range(order - 1, len(padded)) for k in range(1, order + 1)]


@pytest.mark.parametrize("order", [2, 3, 4])
@pytest.mark.parametrize("kind", ["kn", "lidstone", "laplace"])
def test_perplexity_equals_nltk(order, kind):
    lm_module = pytest.importorskip("nltk.lm")
    if kind == "kn":
        reference = lm_module.KneserNeyInterpolated(order, discount=0.75)
        options = {"smoothing": "kn", "discount": 0.75, "base": "none"}  # NLTK's unigram level has no uniform part
    elif kind == "lidstone":
        reference, options = lm_module.Lidstone(0.3, order), {"smoothing": "add-k", "k": 0.3}
    else:
        reference, options = lm_module.Laplace(order), {"smoothing": "add-k", "k": 1.0}
    # NLTK's vocabulary holds the training characters and its <UNK>, as ours holds them and id 0;
    # the padding "<s>" is not in it, so NLTK reads it as <UNK>, as ours reads id 0.
    reference.fit([nltk_grams(TEXT, order)], vocabulary_text=list(TEXT))
    model, vocabulary, _ = trained(TEXT, order, **options)
    assert len(reference.vocab) == vocabulary.size
    padded = ["<s>"] * (order - 1) + list(HELDOUT)
    expected = np.array([reference.logscore(padded[t], padded[t - order + 1 : t]) for t in range(order - 1, len(padded))])
    ours = model.log_probabilities(vocabulary.encode(HELDOUT)) / np.log(2.0)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(2.0 ** -ours.mean(), 2.0 ** -expected.mean(), rtol=1e-6)
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_distinct_contexts_grow_with_the_order():
    counts = distinct_contexts("abcabcabd", 4, "char")
    # Contexts inside the text: 1 empty; a, b, c, d -> but 'd' ends the text; 2-token contexts ab, bc, ca, bd...
    assert counts[1] == 1
    assert counts[2] == len(set("abcabcab"))
    assert counts[3] == len({"abcabcabd"[i : i + 2] for i in range(len("abcabcabd") - 2)})
    assert counts[4] == len({"abcabcabd"[i : i + 3] for i in range(len("abcabcabd") - 3)})
    words = distinct_contexts("the cat and the dog and the cat", 2, "word")
    assert words[2] == 4  # the, cat, and, dog (the final "cat" has nothing after it)


def test_parameter_count_is_a_protocol_question():
    model, _, levels = trained(TEXT, 3)
    assert NGRAM_FAMILY.parameter_count(model) == {"count": sum(len(level["entry_word"]) for level in levels),
                                            "kind": "stored counts"}
    dense = keras.layers.Dense(3)
    dense.build((None, 2))
    assert Family.parameter_count(NGRAM_FAMILY, dense) == {"count": 9, "kind": "weights"}


def test_word_vocabulary_round_trips_text():
    vocabulary = TokenVocabulary.from_text("To be, or not to be: that is the question.")
    ids = vocabulary.encode("To be, or not to be")
    assert vocabulary.decode(ids) == " To be, or not to be"
    assert vocabulary.encode("Hamlet")[0] == 0 and list(vocabulary.encode("  \n")) == [0]


def test_bad_arguments_are_refused_with_their_names():
    with pytest.raises(ValueError, match="Received: order=0"):
        build_ngram(10, order=0)
    with pytest.raises(ValueError, match="Received: smoothing='witten-bell'"):
        build_ngram(10, smoothing="witten-bell")
    with pytest.raises(ValueError, match=r"Received: discount=1.5"):
        NGRAM_FAMILY.resolve_config(model_kwargs={"discount": 1.5})
    with pytest.raises(ValueError, match="Received: unit='byte'"):
        NGRAM_FAMILY.resolve_config(unit="byte")
    with pytest.raises(ValueError, match="min_count"):
        NGRAM_FAMILY.resolve_config(unit="char", min_count=3)
    with pytest.raises(ValueError, match="holds no counts"):
        build_ngram(10, order=2)(np.zeros((1, 3), np.int32))


def test_unknown_flags_are_refused(tiny_text_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", "ngram", "--corpus", tiny_text_file, "--output", run, "--units", "8"]) == 2
    assert "--units does not apply to model 'ngram'" in capsys.readouterr().err
    assert main(["train", "ngram", "--corpus", tiny_text_file, "--output", run, "--order", "0"]) == 2
    assert "Received: order=0" in capsys.readouterr().err
    assert not os.path.exists(run)


SERVE = r"""
import json, sys
import tensorflow as tf
loaded = tf.saved_model.load(PATH)
generate = loaded.signatures["generate"]
def call(prompts, max_length, temperature, top_k, seed, top_p):
    out = generate(prompt=tf.constant(prompts), max_length=tf.constant(max_length), temperature=tf.constant(temperature),
                   top_k=tf.constant(top_k), seed=tf.constant(seed), top_p=tf.constant(top_p))
    return [t.decode("utf-8") for t in out["text"].numpy()]
logits = loaded.signatures["serving_default"](token_ids=tf.constant(IDS, tf.int32))["logits"].numpy().tolist()
print("RESULT" + json.dumps({"kerazoo_imported": "kerazoo" in sys.modules, "greedy": call(PROMPTS, 20, 0.0, 0, 0, 1.0),
      "sampled": call(PROMPTS, 20, 0.9, 5, 3, 0.95), "logits": logits}))
"""


def assert_served_as_python(path, model, vocabulary, prompts, text):
    """The SavedModel at `path`, in a process without kerazoo, gives the Python API's text and logits."""
    ids = vocabulary.encode(text)[None, :]
    code = SERVE.replace("PATH", repr(path)).replace("PROMPTS", repr(prompts)).replace("IDS", repr(ids.tolist()))
    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    served = json.loads(process.stdout.split("RESULT")[-1])
    assert served["kerazoo_imported"] is False
    assert served["greedy"] == generate_text(model, vocabulary, prompts, 20, 0.0)
    assert served["sampled"] == generate_text(model, vocabulary, prompts, 20, 0.9, 5, 3, 0.95)
    np.testing.assert_allclose(served["logits"], keras.ops.convert_to_numpy(model(ids)), atol=1e-5)
    return served


def test_train_generate_export_serve(tiny_text_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", "ngram", "--corpus", tiny_text_file, "--output", run, "--order", "3", "--samples", "0"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out.strip().splitlines()[-1])
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    assert metrics["finished"] is True and metrics["steps"] == 1
    assert metrics["parameters_kind"] == "stored counts" and summary["parameters"] == metrics["parameters"] > 0
    # The held-out figures are the model's own measure of that text.
    model, vocabulary = load_run(run)
    assert metrics["heldout"]["bits_per_char"] == pytest.approx(
        get_family("ngram").measure(model, vocabulary, {"kind": "streamed_loss", "data": {"corpus": tiny_text_file}})[
            "bits_per_char"], rel=1e-9)

    # A finished run is never trained over.
    assert main(["train", "ngram", "--corpus", tiny_text_file, "--output", run, "--order", "3"]) == 2
    assert "finished run" in capsys.readouterr().err

    prompts = ["ROMEO:", "O"]
    assert main(["generate", run, "--prompt", prompts[0], "--prompt", prompts[1], "--length", "20",
                 "--temperature", "0"]) == 0
    assert capsys.readouterr().out == "".join(t + "\n" for t in generate_text(model, vocabulary, prompts, 20, 0.0))
    assert main(["export", run, "--name", "ngram", "--base-dir", str(tmp_path / "saved")]) == 0
    path = capsys.readouterr().out.strip()
    with open(os.path.join(path, "assets", "kerazoo.json"), encoding="utf-8") as f:
        info = json.load(f)
    assert info["family"] == "ngram" and info["stored_counts"] == metrics["parameters"]

    assert_served_as_python(path, model, vocabulary, prompts, "ROMEO: But")


def test_a_run_killed_after_its_model_was_written_goes_on(tiny_text_file, tmp_path):
    from kerazoo.training import train

    run = str(tmp_path / "run")
    config = NGRAM_FAMILY.resolve_config(corpus=tiny_text_file, samples=0, model_kwargs={"order": 3})
    train(config, run)
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    metrics["finished"] = False  # as if killed after model.keras, before metrics.json said it finished
    with open(os.path.join(run, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f)
    _, _, again = train(config, run)
    assert again["finished"] is True and again["heldout"] == metrics["heldout"]


def test_word_model_trains_exports_and_serves_the_python_text(tmp_path, capsys):
    corpus = tmp_path / "words.txt"
    corpus.write_text("To be, or not to be: that is the question.\nWhether 'tis nobler in the mind to suffer.\n" * 20)
    run = str(tmp_path / "run")
    assert main(["train", "ngram", "--unit", "word", "--order", "3", "--corpus", str(corpus), "--output", run,
                 "--samples", "1", "--sample-length", "8"]) == 0
    out = capsys.readouterr().out
    assert "1 samples of the 3-gram word model" in out and os.path.exists(os.path.join(run, "samples.txt"))
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
        heldout = json.load(f)["heldout"]
    # Per word and per character: the same nats, over words or over characters.
    assert heldout["nats_per_token"] * heldout["tokens"] == pytest.approx(heldout["nats_per_char"] * heldout["characters"])
    assert main(["generate", run, "--prompt", "To be", "--length", "4", "--temperature", "0"]) == 0
    assert capsys.readouterr().out.startswith("To be, or not")

    assert main(["export", run, "--name", "w", "--base-dir", str(tmp_path / "saved")]) == 0
    path = capsys.readouterr().out.strip()
    model, vocabulary = load_run(run)
    # Unknown words, punctuation against words, runs of odd spaces, a prompt of spaces only (the start of a text).
    prompts = ["To be", "Whether 'tis\u00a0nobler,in   the", "Hamlet: to", " \t "]
    served = assert_served_as_python(path, model, vocabulary, prompts, "that is the")
    assert served["greedy"][0].startswith("To be, or not to be")


def test_the_graph_splits_words_as_python_does():
    import tensorflow as tf

    from kerazoo.models.causal_lm.causal_lm_export import prompt_units
    from kerazoo.models.ngram.ngram_vocabulary import tokenize_words

    rng = np.random.default_rng(0)
    alphabet = list("abcXYZ'.,;:!?-()[] \t\n\r\x0b\x0c") + ["\x1c", "\x85", "\u00a0", "\u2003", "\u3000", "é", "ß",
                                                           "\u2019", "語", "\U0001F600", "0", "9"]
    texts = ["".join(rng.choice(alphabet, size=rng.integers(0, 30))) for _ in range(300)]
    texts += ["O'er the hills, and far away!", "  ", "", "a\u2028b\u2029c"]
    vocabulary = TokenVocabulary.from_text("a b")
    split = prompt_units(tf, vocabulary, tf.constant(texts)).to_list()
    for text, units in zip(texts, split):
        assert [u.decode("utf-8") for u in units] == tokenize_words(text), repr(text)
