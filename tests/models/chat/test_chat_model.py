"""The chat model: the encoder-decoders as they are, the empty context, decoding, streaming and the measures."""

import math

import keras
import numpy as np
import pytest

from kerazoo.data.dialogue import Exchange
from kerazoo.models.chat import build_chat_lstm
from kerazoo.models.chat import build_chat_transformer
from kerazoo.models.chat.chat_evaluation import distinct_n
from kerazoo.models.chat.chat_evaluation import perplexity
from kerazoo.models.chat.chat_generation import reply
from kerazoo.models.chat.chat_generation import sample_replies
from kerazoo.models.chat.chat_generation import stream_reply
from kerazoo.models.chat.chat_vocabulary import NEVER_GENERATED
from kerazoo.models.chat.chat_vocabulary import START_ID
from kerazoo.models.chat.chat_vocabulary import ChatVocabulary
from tests.test_case import randomize_weights
from tests.test_case import run_model_saving_test

WORDS = "my good lord , how now ? what news from the court ! i pray you sir . ay no".split()
TURNS = ["How now, my lord?", "What news from the court, Horatio?"]
TINY = {
    "chat_transformer": lambda size, **kw: build_chat_transformer(size, num_layers=1, num_heads=2, hidden_dim=8,
                                                                  intermediate_dim=16, dropout=0.0,
                                                                  max_reply_length=10, **kw),
    "chat_lstm": lambda size, **kw: build_chat_lstm(size, embedding_dim=4, units=8, max_reply_length=10, **kw),
}


def tiny(name, seed=3, **kwargs):
    vocabulary = ChatVocabulary(WORDS)
    model = TINY[name](vocabulary.size, **kwargs)
    model({"encoder_token_ids": np.ones((1, 3), "int32"), "decoder_token_ids": np.ones((1, 2), "int32")})
    return randomize_weights(model, seed=seed, scale=0.8), vocabulary


def inputs(vocabulary):
    encoder = np.zeros((2, 9), np.int32)
    for row, turns in enumerate([TURNS, ["Ay, my lord."]]):
        ids = vocabulary.context_ids(turns, 2, 9)
        encoder[row, : len(ids)] = ids
    decoder, _ = vocabulary.reply_arrays(["ay , my good lord .", "no"], 6)
    return {"encoder_token_ids": encoder, "decoder_token_ids": decoder}


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_chat_model_is_its_encoder_decoder_unchanged(name, tmp_path):
    model, vocabulary = tiny(name)
    x = inputs(vocabulary)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)),
                                  keras.ops.convert_to_numpy(model.seq2seq(x)))
    assert model.count_params() == model.seq2seq.count_params()
    run_model_saving_test(model, x, tmp_path)


@pytest.mark.parametrize("name", sorted(TINY))
def test_an_empty_context_model_reads_none_of_its_context(name):
    model, vocabulary = tiny(name, context="empty")
    x = inputs(vocabulary)
    other = dict(x, encoder_token_ids=np.random.default_rng(1).integers(1, vocabulary.size, (2, 5)).astype("int32"))
    logits = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_array_equal(logits, keras.ops.convert_to_numpy(model(other)))
    none = dict(x, encoder_token_ids=np.full((2, 1), 6, np.int32))  # what it reads: <none>
    np.testing.assert_array_equal(logits, keras.ops.convert_to_numpy(model.seq2seq(none)))
    assert reply(model, vocabulary, TURNS).text == reply(model, vocabulary, ["Something else entirely."]).text
    assert reply(model, vocabulary, TURNS).prompt_tokens == 1


@pytest.mark.parametrize("name", sorted(TINY))
def test_greedy_replies_are_the_argmax_of_full_recomputation(name):
    """The cached decoding loop writes what a full teacher-forced pass says is most likely, step by step."""
    model, vocabulary = tiny(name)
    encoder = np.array([vocabulary.context_ids(TURNS, model.context_turns, model.context_length)], np.int32)
    made = [START_ID]
    for _ in range(model.max_reply_length):
        logits = keras.ops.convert_to_numpy(model({"encoder_token_ids": encoder,
                                                   "decoder_token_ids": np.array([made], np.int32)}))[0, -1]
        logits[list(NEVER_GENERATED)] = -np.inf
        made.append(int(np.argmax(logits)))
        if made[-1] == vocabulary.end_id:
            break
    expected = vocabulary.decode(made[1:])
    got = reply(model, vocabulary, TURNS)
    assert got.text == expected and got.prompt_tokens == encoder.shape[1]
    assert got.finish_reason == ("stop" if made[-1] == vocabulary.end_id else "length")
    assert got.completion_tokens == len(made) - 1 - (made[-1] == vocabulary.end_id)


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("options", [{}, {"temperature": 1.0, "seed": 5}, {"temperature": 0.7, "top_k": 6,
                                                                           "top_p": 0.9, "seed": 2}])
def test_a_stream_writes_the_reply_piece_by_piece(name, options):
    model, vocabulary = tiny(name)
    pieces = list(stream_reply(model, vocabulary, TURNS, **options))
    whole = reply(model, vocabulary, TURNS, **options)
    assert "".join(pieces) == whole.text and len(pieces) == whole.completion_tokens
    assert all(piece.strip() for piece in pieces)


def test_sampling_is_seeded_and_beam_search_finds_likelier_replies():
    model, vocabulary = tiny("chat_transformer", seed=11)
    first = reply(model, vocabulary, TURNS, temperature=1.0, seed=4).text
    assert first == reply(model, vocabulary, TURNS, temperature=1.0, seed=4).text
    assert {first} != {reply(model, vocabulary, TURNS, temperature=1.0, seed=s).text for s in range(5, 9)}

    def log_probability(text, ended):
        encoder = np.array([vocabulary.context_ids(TURNS, 2, 64)], np.int32)
        ids = vocabulary.encode(text) + ([vocabulary.end_id] if ended else [])
        logits = keras.ops.convert_to_numpy(model({"encoder_token_ids": encoder,
                                                   "decoder_token_ids": np.array([[START_ID, *ids[:-1]]])}))[0]
        logits[:, list(NEVER_GENERATED)] = -1e9
        log_probs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
            - logits.max(-1, keepdims=True)
        return log_probs[np.arange(len(ids)), ids].sum()

    greedy, beam = reply(model, vocabulary, TURNS, max_length=4), reply(model, vocabulary, TURNS, max_length=4,
                                                                        beam_width=4)
    assert log_probability(beam.text, beam.finish_reason == "stop") >= log_probability(
        greedy.text, greedy.finish_reason == "stop") - 1e-4
    batch = sample_replies(model, vocabulary, [TURNS, ["Ay."]], max_length=4, beam_width=4)
    assert batch[0] == beam.text


def test_sampled_replies_do_not_repeat_from_batch_to_batch():
    """The noise is keyed by row: each batch draws with its own seed, or a model blind to its context would
    write the same replies in every batch (and distinct-n would measure the batch size)."""
    model, vocabulary = tiny("chat_transformer", context="empty")
    texts = sample_replies(model, vocabulary, [TURNS] * 4, batch_size=2, temperature=1.0, seed=3)
    assert texts[0] == reply(model, vocabulary, TURNS, temperature=1.0, seed=3).text
    assert texts[2] == reply(model, vocabulary, TURNS, temperature=1.0, seed=5).text
    assert texts[2:] != texts[:2]


def test_bad_arguments_are_refused_by_name():
    model, vocabulary = tiny("chat_transformer")
    with pytest.raises(ValueError, match=r"`max_length` must be an integer in \[1, 10\]"):
        reply(model, vocabulary, TURNS, max_length=11)
    with pytest.raises(ValueError, match="`turns` must be a non-empty list"):
        reply(model, vocabulary, [])
    with pytest.raises(ValueError, match="`turns` must be a non-empty list"):
        reply(model, vocabulary, "How now?")
    with pytest.raises(ValueError, match="Beam search is a search"):
        reply(model, vocabulary, TURNS, beam_width=2, temperature=1.0)
    with pytest.raises(ValueError, match="`context` must be one of"):
        build_chat_transformer(30, context="none")
    with pytest.raises(ValueError, match="must not set"):
        build_chat_lstm(30).__class__(30, "lstm", {"max_sequence_length": 3})


def test_perplexity_is_the_exponent_of_the_mean_reply_nll():
    model, vocabulary = tiny("chat_transformer")
    exchanges = [Exchange(tuple(TURNS), "HAMLET", "Ay, my good lord.", "p"), Exchange(("Ay.",), "A", "No.", "p")]
    measured = perplexity(model, vocabulary, exchanges, batch_size=1)
    nll, count = 0.0, 0
    for exchange in exchanges:
        encoder = np.array([vocabulary.context_ids(exchange.context, 2, 64)], np.int32)
        decoder, targets = vocabulary.reply_arrays([exchange.reply], 10)
        logits = keras.ops.convert_to_numpy(model({"encoder_token_ids": encoder, "decoder_token_ids": decoder}))[0]
        for position, target in enumerate(targets[0]):
            if target:
                row = logits[position].astype(np.float64)
                nll += np.log(np.exp(row - row.max()).sum()) + row.max() - row[target]
                count += 1
    assert measured["tokens"] == count == 10  # "ay , my good lord ." (6) and "no ." (2), each with its end token
    assert measured["value"] == pytest.approx(math.exp(nll / count), rel=1e-5)
    with_name = perplexity(model, vocabulary, exchanges, show_speaker=True)["value"]
    assert with_name != pytest.approx(measured["value"], rel=1e-6)  # the name is read


def test_distinct_n_counts_unique_ngrams_over_all_ngrams():
    texts = ["my lord, my lord.", "my lord"]
    # units: my lord , my lord . | my lord -> 8 unigrams, 4 distinct; 6 bigrams, 4 distinct
    assert distinct_n(texts, 1) == 4 / 8
    assert distinct_n(texts, 2) == 4 / 6
    assert distinct_n(["ay"], 2) == 0.0
