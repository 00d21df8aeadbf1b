"""The t5 family: span-corruption pretraining data, a tiny pretrained run, fine-tuning from it (`init_from`) on
punctuation restoration, and its SavedModel filling sentinel spans without kerazoo."""

import collections
import json

import keras
import numpy as np
import pytest

from kerazoo.data.punctuation import TEST_PLAYS
from kerazoo.data.punctuation import punctuation_split
from kerazoo.data.punctuation import tag_text
from kerazoo.data.span_corruption import corrupt_text
from kerazoo.data.span_corruption import fill_spans
from kerazoo.data.span_corruption import fill_text
from kerazoo.data.span_corruption import sentinel_characters
from kerazoo.data.span_corruption import span_counts
from kerazoo.data.span_corruption import to_sentinel_names
from kerazoo.export import export_saved_model
from kerazoo.generation.translate import translate
from kerazoo.models.registry import get_family
from kerazoo.models.registry import resolve_config
from kerazoo.models.seq2seq_lm import load_pairs
from kerazoo.models.seq2seq_lm import teacher_forced_loss
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import PUNCTUATION_MAX_CHARACTERS
from kerazoo.models.t5 import t5_data
from kerazoo.models.t5.t5_family import t5_vocabulary
from kerazoo.training import train
from tests.test_case import run_python

# Lowercase words only: fine-tuning on punctuation must add capitals and marks to the vocabulary.
TRAIN_TEXTS = ["thank you for inviting me to your party last week and the week before it too " * 3,
               "to be or not to be that is the question whether tis nobler in the mind to suffer " * 3]
TEST_TEXTS = ["tomorrow and tomorrow and tomorrow creeps in this petty pace from day to day " * 2]
TINY = {"num_layers": 1, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32, "dropout": 0.0}


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A run folder of a tiny t5 model, trained for 30 steps on the texts above."""
    config = resolve_config(model="t5", model_kwargs=TINY, epochs=1, steps_per_epoch=30, batch_size=4,
                            chunk_characters=40, test_size=4, learning_rate=1e-2, verbose=0)
    output = str(tmp_path_factory.mktemp("t5") / "run")
    _, vocabulary, metrics = train(config, output, corpus=(TRAIN_TEXTS, TEST_TEXTS))
    return output, vocabulary, metrics


# --- The pretraining data ---


def test_chunks_pack_whole_words_up_to_the_limit():
    assert t5_data.play_chunks(["ab cd ef  gh", "abcdefgh ij"], max_characters=5) == ["ab cd", "ef gh", "abcdefgh",
                                                                                        "ij"]
    chunks = t5_data.play_chunks(TRAIN_TEXTS, 40)
    assert all(len(chunk) <= 40 for chunk in chunks)
    assert " ".join(chunks).split() == " ".join(TRAIN_TEXTS).split()


def test_the_target_bound_holds_for_every_mask():
    chunks = t5_data.play_chunks(TRAIN_TEXTS + TEST_TEXTS, 40)
    bound = t5_data.longest_target(chunks)
    lengths = [len(pair[1]) for seed in range(30) for pair in t5_data.corrupted_pairs(chunks, 3, seed=seed)]
    assert max(lengths) <= bound
    # The bound is reached by dropping the longest words: for "tomorrow and tomorrow ..." (7 words, 1 span of 1).
    words = "tomorrow and tomorrow and tomorrow creeps in".split()
    assert span_counts(len(words)) == (1, 1)
    assert t5_data.longest_target([" ".join(words)]) == len("\ue000 tomorrow \ue001")


def test_training_batches_rebuild_the_chunks_with_new_spans_every_pass():
    chunks = t5_data.play_chunks(TRAIN_TEXTS, 40)[:8]
    vocabulary = t5_vocabulary(chunks, 3)
    batches = t5_data.span_corruption_batches(chunks, vocabulary, 3, seed=5, batch_size=4, source_length=40,
                                              target_length=t5_data.longest_target(chunks) + 1)
    passes = []
    for x, y in batches.take(4):  # two passes of 8 chunks
        for source_ids, decoder_ids, target_ids in zip(*(np.asarray(a) for a in (x["encoder_token_ids"],
                                                                                   x["decoder_token_ids"], y))):
            length = int((target_ids != 0).sum())
            assert decoder_ids[0] == vocabulary.start_id and target_ids[length - 1] == vocabulary.end_id
            np.testing.assert_array_equal(decoder_ids[1:length], target_ids[: length - 1])  # shifted right
            source, target = vocabulary.source.decode(source_ids), vocabulary.decode_target(target_ids)
            assert target.startswith("\ue000")
            passes.append((fill_text(source, target, sentinel_characters(3)), source))
    first, second = passes[:8], passes[8:]
    assert collections.Counter(text for text, _ in first) == collections.Counter(chunks)
    assert collections.Counter(text for text, _ in second) == collections.Counter(chunks)
    assert dict((text, source) for text, source in first) != dict((text, source) for text, source in second)


def _fill_characters(source, target, sentinels):
    """The chunk that a character-unit `(source, target)` pair describes."""
    codes = fill_spans([ord(c) for c in source], [ord(c) for c in target], [ord(c) for c in sentinel_characters(sentinels)])
    return "".join(chr(int(code)) for code in codes)


def test_character_spans_of_the_slides_sentence_give_its_inputs_and_targets():
    sentence = "Thank you for inviting me to your party last week."
    dropped = [sentence.index("for inviting "), sentence.index("last ")]
    mask = np.zeros(len(sentence), bool)
    mask[dropped[0] : dropped[0] + len("for inviting ")] = mask[dropped[1] : dropped[1] + len("last ")] = True
    source, target = corrupt_text(sentence, mask=mask, sentinels=sentinel_characters(3), units="characters")
    assert to_sentinel_names(source) == "Thank you <X>me to your party <Y>week."
    assert to_sentinel_names(target) == "<X>for inviting <Y>last <Z>"
    # A span of characters may start and end inside a word.
    source, target = corrupt_text("inviting", mask=[0, 0, 1, 1, 1, 0, 0, 0], sentinels=["<X>", "<Y>"],
                                  units="characters")
    assert (source, target) == ("in<X>ing", "<X>vit<Y>")


def test_character_units_bound_the_targets_and_the_stream_rebuilds_the_chunks():
    chunks = t5_data.play_chunks(TRAIN_TEXTS + TEST_TEXTS, 40)
    sentinels = t5_data.sentinels_for(chunks, span_units="characters")
    assert sentinels == span_counts(40)[1] + 1 == 3  # 6 noise characters in 2 spans, and the final sentinel
    bound = t5_data.longest_target(chunks, span_units="characters")
    assert bound == 6 + 2 + 1
    pairs = [pair for seed in range(20)
             for pair in t5_data.corrupted_pairs(chunks, sentinels, seed=seed, span_units="characters")]
    assert max(len(target) for _, target in pairs) <= bound
    assert [_fill_characters(*pair, sentinels) for pair in pairs] == chunks * 20
    # Characters are the units, so spans cut words: most inputs have a sentinel right after a letter, which
    # words as units never give (their sentinels stand between spaces).
    cut = sum(any(a.isalpha() and b in sentinel_characters(sentinels) for a, b in zip(source, source[1:]))
              for source, _ in pairs)
    assert cut > len(pairs) // 2

    fit = t5_data.play_chunks(TRAIN_TEXTS, 40)[:8]
    vocabulary = t5_vocabulary(fit, sentinels)
    batches = t5_data.span_corruption_batches(fit, vocabulary, sentinels, seed=5, batch_size=4, source_length=40,
                                              target_length=bound + 1, span_units="characters")
    rebuilt = []
    for x, y in batches.take(2):  # one pass of 8 chunks
        for source_ids, target_ids in zip(np.asarray(x["encoder_token_ids"]), np.asarray(y)):
            source, target = vocabulary.source.decode(source_ids), vocabulary.decode_target(target_ids)
            assert target.startswith("\ue000") and len(target) <= bound
            rebuilt.append(_fill_characters(source, target, sentinels))
    assert collections.Counter(rebuilt) == collections.Counter(fit)


def test_original_targets_are_the_chunks_bounded_by_the_longest_and_the_stream_writes_them():
    chunks = t5_data.play_chunks(TRAIN_TEXTS + TEST_TEXTS, 40)
    sentinels = t5_data.sentinels_for(chunks)
    bound = t5_data.longest_target(chunks, span_targets="original")
    assert bound == max(len(chunk) for chunk in chunks) == 40
    pairs = t5_data.corrupted_pairs(chunks, sentinels, seed=1, span_targets="original")
    spans = t5_data.corrupted_pairs(chunks, sentinels, seed=1)
    assert [source for source, _ in pairs] == [source for source, _ in spans]
    assert [target for _, target in pairs] == chunks

    fit = t5_data.play_chunks(TRAIN_TEXTS, 40)[:8]
    vocabulary = t5_vocabulary(fit, sentinels)
    batches = t5_data.span_corruption_batches(fit, vocabulary, sentinels, seed=5, batch_size=4, source_length=40,
                                              target_length=bound + 1, span_targets="original")
    sources, targets = [], []
    for x, y in batches.take(2):  # one pass of 8 chunks
        for source_ids, target_ids in zip(np.asarray(x["encoder_token_ids"]), np.asarray(y)):
            sources.append(vocabulary.source.decode(source_ids))
            targets.append(vocabulary.decode_target(target_ids))
    assert collections.Counter(targets) == collections.Counter(fit)
    # Each input is its target with spans dropped: the target's words, in order, hold the input's kept words.
    for source, target in zip(sources, targets):
        kept = [word for word in source.split() if word not in sentinel_characters(sentinels)]
        assert "\ue000" in source and len(kept) < len(target.split())
        words = iter(target.split())
        assert all(word in words for word in kept)


def test_the_pretraining_flags_reach_the_run_config():
    import argparse

    from kerazoo.cli.options import add_family_flags
    from kerazoo.cli.options import flag_values

    family = get_family("t5")
    parser = argparse.ArgumentParser()
    add_family_flags(parser, family, "t5")
    args = parser.parse_args(["--config", "plays-t5", "--normalize-first", "--span-units", "characters",
                              "--span-targets", "original"])
    settings, model_kwargs = flag_values(family, "t5", args)
    assert settings == {"span_units": "characters", "span_targets": "original"}
    assert model_kwargs == {"normalize_first": True}
    config = resolve_config(config="plays-t5", model_kwargs=model_kwargs, **settings)
    assert config["span_units"] == "characters" and config["span_targets"] == "original"
    assert config["model_kwargs"]["normalize_first"] is True
    assert config["model_kwargs"]["hidden_dim"] == 128  # the rest is still the named config's
    with pytest.raises(SystemExit):
        parser.parse_args(["--span-units", "tokens"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--span-targets", "both"])
    with pytest.raises(ValueError, match="Received: span_targets='both'"):
        resolve_config(model="t5", span_targets="both")


def test_span_units_other_than_words_or_characters_are_refused():
    with pytest.raises(ValueError, match=r"`span_units` must be one of \['words', 'characters'\]. "
                                         r"Received: span_units='tokens'"):
        resolve_config(model="t5", span_units="tokens")
    with pytest.raises(ValueError, match="span_units='pieces'"):
        t5_data.corrupted_pairs(["a b c"], 3, span_units="pieces")


def test_the_plays_split_holds_out_the_test_plays_whole():
    train_texts, test_texts = t5_data.plays_texts()
    assert len(train_texts) == 34 and len(test_texts) == len(TEST_PLAYS) == 4
    _, test = punctuation_split()
    assert test.targets[0] in test_texts[0] and not any(test.targets[0] in text for text in train_texts)


# --- A tiny pretrained run ---


def test_a_t5_run_measures_its_held_out_chunks(pretrained):
    output, vocabulary, metrics = pretrained
    assert metrics["sentinels"] == 3 and metrics["test_chunks"] == len(t5_data.play_chunks(TEST_TEXTS, 40))
    model = keras.saving.load_model(f"{output}/best.keras")
    pairs = t5_data.corrupted_pairs(t5_data.play_chunks(TEST_TEXTS, 40), 3, seed=0)
    assert metrics["test_loss"] == pytest.approx(teacher_forced_loss(model, vocabulary, pairs), rel=1e-6)


def test_the_t5_flags_and_settings_are_checked():
    assert resolve_config(config="plays-t5")["model_kwargs"]["hidden_dim"] == 128
    with pytest.raises(ValueError, match="noise_density"):
        resolve_config(model="t5", noise_density=1.5)
    with pytest.raises(ValueError, match="Unknown training settings"):
        resolve_config(model="t5", task="dates")


# --- Fine-tuning: init_from ---


def test_init_from_loads_the_weights_exactly_and_extends_the_vocabulary(pretrained, tmp_path):
    output, source_vocabulary, _ = pretrained
    source = keras.saving.load_model(f"{output}/best.keras")
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"the party {i}\tThe party, {i}!\n" for i in range(20)), encoding="utf-8")
    family = get_family("transformer")
    config = resolve_config(model="transformer", task=str(path), init_from=output, verbose=0)
    assert {key: config["model_kwargs"][key] for key in TINY} == TINY  # the architecture comes from the source
    data = family.prepare(config)
    vocabulary = data.vocabulary
    new_characters = set(vocabulary.target.characters) - set(source_vocabulary.target.characters)
    assert {"T", ",", "!", "0", "9"} <= new_characters
    assert set(source_vocabulary.target.characters) < set(vocabulary.target.characters)
    model = family.build(config, data)

    text, written = "the party", "to the"
    old = source({"encoder_token_ids": source_vocabulary.encode_sources([text]),
                  "decoder_token_ids": np.asarray([[source_vocabulary.start_id,
                                                    *source_vocabulary.target.encode(written)]], "int32")})
    new = model({"encoder_token_ids": vocabulary.encode_sources([text]),
                 "decoder_token_ids": np.asarray([[vocabulary.start_id, *vocabulary.target.encode(written)]], "int32")})
    shared = source_vocabulary.target.tokens
    new_ids = [vocabulary.target.tokens.index(token) for token in shared]
    np.testing.assert_allclose(np.asarray(new)[..., new_ids], np.asarray(old), rtol=1e-6, atol=1e-6)
    weights = {v.path: np.asarray(v) for v in model.weights}
    for variable in source.weights:
        if "embedding" not in variable.path:
            np.testing.assert_array_equal(weights[variable.path], np.asarray(variable), err_msg=variable.path)


def _fine_tuning_model(pretrained, tmp_path, parts):
    """The pretrained source model, and a Transformer built to fine-tune from it with `init_from_parts=parts` on a
    tiny pairs file; returns (source, model, data)."""
    output, _, _ = pretrained
    source = keras.saving.load_model(f"{output}/best.keras")
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"the party {i}\tThe party, {i}!\n" for i in range(20)), encoding="utf-8")
    family = get_family("transformer")
    config = resolve_config(model="transformer", task=str(path), init_from=output, init_from_parts=parts)
    data = family.prepare(config)
    return source, family.build(config, data), data


def test_init_from_parts_encoder_copies_the_encoder_and_leaves_the_decoder_fresh(pretrained, tmp_path):
    source, model, _ = _fine_tuning_model(pretrained, tmp_path, "encoder")
    theirs = {v.path: np.asarray(v) for v in source.weights}
    for variable in model.weights:
        if variable.path.startswith("encoder_block_"):
            np.testing.assert_array_equal(np.asarray(variable), theirs[variable.path], err_msg=variable.path)
        elif variable.path.startswith("decoder_block_") and variable.path.endswith("kernel"):
            assert not np.array_equal(np.asarray(variable), theirs[variable.path]), variable.path
    with pytest.raises(ValueError, match="init_from_parts"):
        resolve_config(model="transformer", task=str(tmp_path / "pairs.tsv"), init_from=pretrained[0],
                       init_from_parts="decoder")


def test_init_from_parts_embeddings_copies_the_character_rows_only_and_leaves_every_block_fresh(pretrained, tmp_path):
    source_vocabulary = pretrained[1]
    source, model, data = _fine_tuning_model(pretrained, tmp_path, "embeddings")
    theirs = {v.path: np.asarray(v) for v in source.weights}
    ours = {v.path: np.asarray(v) for v in model.weights}
    for side, path, axis in (("source", "source_embedding/embeddings", 0), ("target", "target_embedding/embeddings", 0),
                             ("target", "target_embedding/reverse_embeddings", 1)):
        old_tokens, new_tokens = getattr(source_vocabulary, side).tokens, getattr(data.vocabulary, side).tokens
        for new_id, token in enumerate(new_tokens):
            if token in old_tokens:  # the trained row of the character, wherever its id moved
                np.testing.assert_array_equal(np.take(ours[path], new_id, axis),
                                              np.take(theirs[path], old_tokens.index(token), axis), err_msg=path)
    blocks = [v for v in model.weights if "embedding" not in v.path]
    assert blocks and all(v.path.startswith(("encoder_block_", "decoder_block_")) for v in blocks)
    for variable in blocks:  # as initialised: a norm's gamma is ones, other vectors zeros, kernels random
        value = np.asarray(variable)
        if variable.path.endswith("kernel"):
            assert not np.array_equal(value, theirs[variable.path]), variable.path
        else:
            np.testing.assert_array_equal(value, float(variable.path.endswith("gamma")), err_msg=variable.path)


def test_init_from_the_float16_preset_gives_trainable_float32_weights_with_its_logits(tmp_path):
    """plays-t5 ships float16 weights; fine-tuning from it must train float32 copies, all of them, from its logits.

    This is what the stalled fine-tuning of docs/transfer.md was first suspected of: a vocabulary
    moved by index, float16 or frozen variables, other start and end ids. None of it happens.
    """
    from kerazoo.models.presets import load_preset

    source, source_vocabulary, card = load_preset("plays-t5")
    assert card["weights_dtype"] == "float16"
    path = tmp_path / "pairs.tsv"
    # "#" is not in the plays: it sorts after '"', so the ids of most characters move by one.
    path.write_text("".join(f"the hart #{i} is here\tThe hart #{i} is here.\n" for i in range(40)), encoding="utf-8")
    family = get_family("transformer")
    config = resolve_config(model="transformer", task=str(path), init_from="plays-t5", batch_size=8, verbose=0)
    data = family.prepare(config)
    vocabulary = data.vocabulary
    model = family.compile(family.build(config, data), config, data)
    assert set(vocabulary.target.characters) - set(source_vocabulary.target.characters) == {"#"}
    assert (vocabulary.start_id, vocabulary.end_id) == (source_vocabulary.start_id, source_vocabulary.end_id)
    assert len(model.trainable_weights) == len(model.weights) == len(source.weights)
    assert {variable.dtype for variable in model.weights} == {"float32"} and model.compute_dtype == "float32"

    pairs = [("the hart is here", "The hart is here.")]
    new_inputs, _ = vocabulary.encode_pairs(pairs)
    old_inputs, _ = source_vocabulary.encode_pairs(pairs)
    new_ids = [vocabulary.target.tokens.index(token) for token in source_vocabulary.target.tokens]
    np.testing.assert_allclose(np.asarray(model(new_inputs))[..., new_ids], np.asarray(source(old_inputs)),
                               rtol=1e-5, atol=1e-5)

    before = [np.array(variable) for variable in model.trainable_weights]
    inputs, targets = data.train
    model.train_on_batch({key: value[:8] for key, value in inputs.items()}, targets[:8])
    moved = [not np.array_equal(old, np.asarray(variable)) for old, variable in zip(before, model.trainable_weights)]
    assert all(moved), [v.path for v, m in zip(model.trainable_weights, moved) if not m]


def test_init_from_refuses_an_incompatible_source(pretrained, tmp_path):
    output, _, _ = pretrained
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"a {i}\tA {i}\n" for i in range(20)), encoding="utf-8")
    with pytest.raises(ValueError, match=r"`init_from` must be a trained preset.*Received: init_from='/no/such/run'"):
        resolve_config(model="transformer", task=str(path), init_from="/no/such/run")
    with pytest.raises(ValueError, match=r"must hold a model that the transformer family builds \(Transformer\)\. "
                                         r"Received: init_from='dates-lstm', which holds a Seq2SeqLSTM"):
        resolve_config(model="transformer", task=str(path), init_from="dates-lstm")
    family = get_family("transformer")
    for kwargs, message in (({"num_layers": 2}, "whose model lacks \\['decoder_block_1/"),
                            ({"hidden_dim": 8}, "whose .* is \\(\\d+, 16\\) where this run's is \\(\\d+, 8\\)")):
        config = resolve_config(model="transformer", task=str(path), init_from=output, model_kwargs=kwargs)
        with pytest.raises(ValueError, match=f"Received: init_from='{output}', {message}"):
            family.build(config, family.prepare(config))


def test_the_cli_takes_init_from_and_the_punctuation_task():
    from kerazoo.cli import build_parser
    from kerazoo.cli.options import flag_values

    args = build_parser().parse_args(["train", "transformer", "--task", "punctuation", "--init-from", "plays-t5",
                                      "--init-from-parts", "embeddings", "--train-size", "1000"])
    settings, _ = flag_values(get_family("transformer"), "transformer", args)
    assert (settings["task"], settings["init_from"], settings["init_from_parts"], settings["train_size"]) == (
        "punctuation", "plays-t5", "embeddings", 1000)
    assert build_parser().parse_args(["train", "t5", "--config", "plays-t5"]).config == "plays-t5"


# --- The punctuation task ---


def test_punctuation_pairs_are_short_held_out_speeches_in_nested_samples():
    config = resolve_config(model="transformer", task="punctuation", train_size=40, test_size=10)
    train_pairs, test_pairs = load_pairs(config)
    more, _ = load_pairs({**config, "train_size": 80})
    _, other_seed = load_pairs({**config, "seed": 1})
    assert len(train_pairs) == 40 and set(train_pairs) < set(more) and test_pairs == other_seed
    _, test = punctuation_split()
    for source, target in train_pairs + test_pairs:
        assert len(target) <= PUNCTUATION_MAX_CHARACTERS
        assert source == " ".join(word.lower() for word in tag_text(target)[0])
    assert all(target in test.targets for _, target in test_pairs)


def test_fine_tuning_on_punctuation_reports_its_measures(pretrained):
    output, _, _ = pretrained
    config = resolve_config(model="transformer", task="punctuation", train_size=40, test_size=6, epochs=1,
                            batch_size=8, init_from=output, verbose=0)
    model, vocabulary, metrics = train(config, None)
    _, test_pairs = load_pairs(config)
    outputs = translate(model, vocabulary, [source for source, _ in test_pairs])
    assert metrics["test_exact_match"] == sum(o == t for o, (_, t) in zip(outputs, test_pairs)) / 6
    assert set(metrics["test_mark_f1"]) == {"comma", "period", "question", "exclamation", "colon", "semicolon"}
    # The held-out loss is Keras's cross-entropy over the target characters and the end token, padding left out.
    inputs, targets = vocabulary.encode_pairs(test_pairs, target_length=max(len(t) for _, t in test_pairs) + 1)
    losses = keras.losses.sparse_categorical_crossentropy(targets, model.predict(inputs, verbose=0), from_logits=True)
    assert metrics["test_loss"] == pytest.approx(float(np.asarray(losses)[targets != 0].mean()), rel=1e-5)


# --- The SavedModel fills sentinel spans without kerazoo ---

SERVE = r"""
import json, sys
import tensorflow as tf
translate = tf.saved_model.load(PATH).signatures["translate"]
out = {"targets": [t.decode("utf-8") for t in translate(source=tf.constant(SOURCES))["target"].numpy()]}
out["kerazoo_imported"] = any(name.startswith("kerazoo") for name in sys.modules)
print("RESULT" + json.dumps(out))
"""


def test_a_saved_model_of_a_pretrained_model_fills_sentinel_spans_without_kerazoo(pretrained, tmp_path):
    output, vocabulary, _ = pretrained
    model = keras.saving.load_model(f"{output}/best.keras")
    sentinels = sentinel_characters(3)
    sources = [corrupt_text(text, mask=mask, sentinels=sentinels)[0] for text, mask in (
        ("thank you for inviting me to your party", [0, 0, 1, 1, 0, 0, 0, 0]),
        ("to be or not to be that is the question", [0, 0, 0, 1, 0, 0, 0, 1, 1, 0]),
    )]
    assert sources[0] == "thank you \ue000 me to your party"
    path = export_saved_model(model, vocabulary, "tiny-t5", base_dir=str(tmp_path))
    process = run_python(SERVE.replace("PATH", repr(path)).replace("SOURCES", repr(sources)),
                         env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    served = json.loads(process.stdout.split("RESULT")[-1])
    assert served["kerazoo_imported"] is False
    assert served["targets"] == translate(model, vocabulary, sources)
    # 30 steps teach the layout of a target: it opens with the first sentinel (the preset fills the spans too).
    assert all(target.startswith("\ue000") for target in served["targets"])


def test_plays_t5_answers_the_slides_sentence_in_the_layout_of_a_target():
    from kerazoo.models.presets import load_preset

    model, vocabulary, card = load_preset("plays-t5")
    sources = [corrupt_text("Thank you for inviting me to your party last week.", mask=[0, 0, 1, 1, 0, 0, 0, 0, 1, 0],
                            sentinels=sentinel_characters(3))[0]]
    (target,) = translate(model, vocabulary, sources)
    assert to_sentinel_names(target) == card["example"]["output"][0]
    # Its chunks of about 24 words mostly held one span, so it writes the first span and the next sentinel.
    assert target.startswith("\ue000 ") and target.endswith(" \ue001") and target[2:-2].strip()
    filled = fill_text(sources[0], target, sentinel_characters(3))
    assert filled.startswith(f"Thank you {target[2:-2]} me to your party")
