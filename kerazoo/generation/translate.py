"""String in, string out for the sequence-to-sequence models: greedy, beam search or sampling."""

import weakref

import keras
import numpy as np

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.generation.beam_search import beam_search
from kerazoo.generation.compiled import compile_for_backend
from kerazoo.generation.decoding import decode_into
from kerazoo.generation.sampling import check_sampling_args
from kerazoo.utils.arguments import check_integer

_PROGRAMS = weakref.WeakKeyDictionary()


def check_translate_args(sources, beam_width, max_length, model):
    if isinstance(sources, str) or not len(sources):
        raise ValueError(f"`sources` must be a non-empty list of strings. Received: sources={sources!r}")
    empty = [i for i, source in enumerate(sources) if not source]
    if empty:
        raise ValueError(f"Every source must hold at least one character. Received empty sources at positions {empty}.")
    check_integer("beam_width", beam_width, minimum=1)
    check_integer("max_length", max_length, minimum=1, maximum=model.max_decoding_length - 1)


# The encoder's input of the string-to-string models: a batch of id rows.
SOURCE_IDS = ((None, None), "int32")


def _program(model, kind, max_length, beam_width, length_penalty, end_id, start_id, source_spec=SOURCE_IDS):
    """One compiled program per (model, decoding settings, source input), reused across calls."""
    programs = _PROGRAMS.setdefault(model, {})
    key = (kind, max_length, beam_width, length_penalty, end_id, start_id, source_spec)
    if key in programs:
        return programs[key]
    if kind == "beam":

        def run(encoder_ids):
            state = model.initial_decoding_state(encoder_ids)
            tokens, _ = beam_search(
                model.decoding_step, state, start_id, end_id, max_length, beam_width, length_penalty,
                (OOV_ID, start_id),
            )
            return tokens

        signature = [source_spec]
    else:

        def run(encoder_ids, temperature, top_k, top_p, seed):
            state = model.initial_decoding_state(encoder_ids)
            batch = keras.ops.shape(encoder_ids)[0]
            tokens = keras.ops.concatenate(
                [keras.ops.full((batch, 1), start_id, "int32"), keras.ops.zeros((batch, max_length), "int32")], axis=1
            )
            lengths = keras.ops.ones((batch,), "int32")
            return decode_into(
                model.decoding_step, state, tokens, lengths, max_length + 1, temperature, top_k, seed,
                (OOV_ID, start_id), top_p,
            )

        signature = [source_spec, ((), "float32"), ((), "int32"), ((), "float32"), ((), "int32")]
    programs[key] = compile_for_backend(run, model.variables, signature)
    return programs[key]


def translate(model, vocabulary, sources, max_length=None, beam_width=1, length_penalty=0.0, temperature=0.0,
              top_k=0, top_p=1.0, seed=0):
    """Translates each source string with a `Transformer` or `Seq2SeqLSTM`.

    Args:
        model: the trained model.
        vocabulary: its `PairVocabulary`.
        sources: str or list of str.
        max_length: int or None. Most target characters; None is the model's
            `max_sequence_length - 1`.
        beam_width: int >= 1. With temperature 0: 1 is greedy search, more is beam search.
        length_penalty: float. Beam scores are divided by length^alpha.
        temperature, top_k, top_p, seed: sampling instead of search when temperature > 0.

    Returns:
        The target text (up to the end token): a str for a str, else a list.
    """
    single = isinstance(sources, str)
    batch = [sources] if single else list(sources)
    max_length = model.max_decoding_length - 1 if max_length is None else max_length
    check_translate_args(batch, beam_width, max_length, model)
    check_sampling_args(temperature, top_k, None, top_p)
    tokens = decode_sources(model, vocabulary.encode_sources(batch), vocabulary.start_id, vocabulary.end_id,
                            max_length, beam_width, length_penalty, temperature, top_k, top_p, seed)
    texts = [vocabulary.decode_target(row) for row in tokens]
    return texts[0] if single else texts


def decode_sources(model, sources, start_id, end_id, max_length, beam_width=1, length_penalty=0.0, temperature=0.0,
                   top_k=0, top_p=1.0, seed=0, source_spec=SOURCE_IDS):
    """The decoded ids after the start token, `(batch, max_length)` NumPy, for a model that decodes from a source.

    The one loop of every encoder-decoder: `sources` is what `model.initial_decoding_state`
    reads (id rows for text, images for a captioner, as `source_spec` `(shape, dtype)` says).
    With temperature 0, beam search (greedy at width 1); otherwise sampling. Arguments are
    checked by the caller (`translate`, a family's own front end).
    """
    if temperature == 0:
        run = _program(model, "beam", int(max_length), int(beam_width), float(length_penalty), end_id, start_id,
                       source_spec)
        tokens = run(sources)
    else:
        run = _program(model, "sample", int(max_length), 1, 0.0, end_id, start_id, source_spec)
        tokens = run(sources, np.float32(temperature), np.int32(top_k), np.float32(top_p), np.int32(seed))
    return keras.ops.convert_to_numpy(tokens)[:, 1:]
