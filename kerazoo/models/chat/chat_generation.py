"""Replies from a `ChatModel`: a conversation in, a reply out, whole or streamed as it is made.

Greedy search and sampling (temperature, top-k, top-p) run the shared loop
`kerazoo.generation.decoding.decode_into`, compiled once per model
(`compile_for_backend`) over a buffer of the model's longest reply; beam search
is `kerazoo.generation.translate.decode_sources`. The loop reads `<start>` and
any reply ids already given (a forced prefix), then draws the rest. A stream
draws one id per call of the same program, with the reply so far as the
prefix: each id is drawn at the same step with the same counter-based noise as
in a whole reply, so a stream writes exactly the reply `reply` returns, and
the SavedModel's `chat` and `chat_step` signatures (`chat_export`) do the same
in a graph. A stream recomputes the prefix at every id (quadratic in the
reply's length, at most `max_reply_length` ids) and keeps no state between calls.
"""

import dataclasses
import weakref

import keras
import numpy as np

from kerazoo.generation.compiled import compile_for_backend
from kerazoo.generation.decoding import decode_into
from kerazoo.generation.sampling import check_sampling_args
from kerazoo.generation.translate import decode_sources
from kerazoo.models.chat.chat_vocabulary import END_ID
from kerazoo.models.chat.chat_vocabulary import START_ID
from kerazoo.utils.arguments import check_integer

_PROGRAMS = weakref.WeakKeyDictionary()
_SIGNATURE = [
    ((None, None), "int32"),  # encoder ids
    ((None, None), "int32"),  # tokens: <start>, the forced prefix, then room, max_decoding_length wide
    ((None,), "int32"),  # lengths: 1 + the prefix's length, per row
    ((), "int32"),  # total: the columns to fill
    ((), "float32"),  # temperature
    ((), "int32"),  # top_k
    ((), "float32"),  # top_p
    ((), "int32"),  # seed
]


@dataclasses.dataclass(frozen=True)
class Reply:
    """A reply and what it cost, as the `chat` signature reports it.

    Attributes:
        text: str. The reply, without the end token.
        prompt_tokens: int. Context ids the encoder read (after truncation).
        completion_tokens: int. Reply ids generated, the end token excluded.
        finish_reason: str. "stop" when the end token ended it, "length" when `max_length` did.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


def continuation_program(model):
    """The model's compiled loop: `(encoder ids, tokens, lengths, total, temperature, top_k, top_p, seed) -> tokens`."""
    program = _PROGRAMS.get(model)
    if program is None:

        def run(encoder_ids, tokens, lengths, total, temperature, top_k, top_p, seed):
            state = model.initial_decoding_state(encoder_ids)
            return decode_into(model.decoding_step, state, tokens, lengths, total, temperature, top_k, seed,
                               top_p=top_p)

        program = _PROGRAMS[model] = compile_for_backend(run, model.variables, _SIGNATURE)
    return program


def check_turns(turns, name="turns"):
    """A non-empty list of str (a str alone is refused: it is one turn, so wrap it in a list)."""
    if isinstance(turns, str) or not isinstance(turns, (list, tuple)) or not turns:
        raise ValueError(f"`{name}` must be a non-empty list of strings, oldest turn first. Received: {name}={turns!r}")
    bad = [i for i, turn in enumerate(turns) if not isinstance(turn, str)]
    if bad:
        raise ValueError(f"Every turn must be a string. Received non-strings at positions {bad}: "
                         f"{[turns[i] for i in bad][:3]!r}")
    return list(turns)


def context_ids(model, vocabulary, turns, speaker=None):
    """The encoder's ids for `turns` (as the model reads them: its last turns, its context length)."""
    turns = check_turns(turns)
    if speaker is not None and not isinstance(speaker, str):
        raise ValueError(f"`speaker` must be a name or None. Received: speaker={speaker!r}")
    return vocabulary.context_ids(turns, model.context_turns, model.context_length, speaker)


def _check(model, max_length, temperature, top_k, top_p, beam_width=1):
    max_length = model.max_reply_length if max_length is None else max_length
    check_integer("max_length", max_length, minimum=1, maximum=model.max_reply_length,
                  note="the longest reply this model makes")
    check_sampling_args(temperature, top_k, None, top_p)
    check_integer("beam_width", beam_width, minimum=1)
    if beam_width > 1 and temperature:
        raise ValueError(f"Beam search is a search: give `temperature`=0 with `beam_width` > 1. "
                         f"Received: beam_width={beam_width}, temperature={temperature}")
    return max_length


def _pad(rows):
    ids = np.zeros((len(rows), max(len(row) for row in rows)), dtype=np.int32)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    return ids


def _run(model, encoder_ids, prefix, total, temperature, top_k, top_p, seed):
    """The loop over a batch that shares one forced prefix: the token buffers after it."""
    tokens = np.zeros((len(encoder_ids), model.max_decoding_length), dtype=np.int32)
    tokens[:, : len(prefix) + 1] = [START_ID, *prefix]
    lengths = np.full((len(encoder_ids),), len(prefix) + 1, dtype=np.int32)
    out = continuation_program(model)(encoder_ids, tokens, lengths, np.int32(total), np.float32(temperature),
                                      np.int32(top_k), np.float32(top_p), np.int32(seed))
    return keras.ops.convert_to_numpy(out)


def reply_ids(model, conversations_ids, max_length, temperature=0.0, top_k=0, top_p=1.0, seed=0, beam_width=1):
    """Reply ids `(batch, max_length)` for a batch of encoder id rows (lists); what follows `<end>` is arbitrary."""
    encoder_ids = _pad(conversations_ids)
    if beam_width > 1:
        return decode_sources(model, encoder_ids, START_ID, END_ID, max_length, beam_width)
    return _run(model, encoder_ids, [], max_length + 1, temperature, top_k, top_p, seed)[:, 1: max_length + 1]


def _finish(vocabulary, ids, prompt_tokens, max_length):
    ids = list(ids)
    ended = END_ID in ids
    ids = ids[: ids.index(END_ID)] if ended else ids[:max_length]
    return Reply(vocabulary.decode(ids), prompt_tokens, len(ids), "stop" if ended else "length")


def reply(model, vocabulary, turns, speaker=None, max_length=None, temperature=0.0, top_k=0, top_p=1.0, seed=0,
          beam_width=1):
    """The model's reply to a conversation.

    Args:
        model: a `ChatModel`.
        vocabulary: its `ChatVocabulary`.
        turns: list of str. The conversation, oldest turn first; the last is the one to answer.
        speaker: str or None. Who the model plays (its name opens the context; see `ChatVocabulary`).
        max_length: int or None. The most reply ids; None is the model's `max_reply_length`.
        temperature: float >= 0. 0 is greedy search (or beam search with `beam_width` > 1).
        top_k, top_p, seed: sampling options (`kerazoo.generation.sample_next`).
        beam_width: int >= 1.

    Returns:
        A `Reply`: its text (lowercased units, see `ChatVocabulary.decode`), the ids read and made,
        and why it ended.
    """
    max_length = _check(model, max_length, temperature, top_k, top_p, beam_width)
    ids = context_ids(model, vocabulary, turns, speaker)
    row = reply_ids(model, [ids], max_length, temperature, top_k, top_p, seed, beam_width)[0]
    prompt_tokens = 1 if model.context == "empty" else len(ids)
    return _finish(vocabulary, row, prompt_tokens, max_length)


def stream_reply(model, vocabulary, turns, speaker=None, max_length=None, temperature=0.0, top_k=0, top_p=1.0,
                 seed=0):
    """Yields the reply's text piece by piece as each id is drawn (a word with its space, or a mark).

    The pieces join into `reply(...).text` for the same arguments (greedy or sampled; beam search
    chooses its reply only at the end, so it does not stream).
    """
    max_length = _check(model, max_length, temperature, top_k, top_p)
    encoder_ids = _pad([context_ids(model, vocabulary, turns, speaker)])
    texts, made = vocabulary.token_texts, []
    while len(made) < max_length:
        token = int(_run(model, encoder_ids, made, len(made) + 2, temperature, top_k, top_p, seed)[0, len(made) + 1])
        if token == END_ID:
            return
        yield texts[token].lstrip(" ") if not made else texts[token]
        made.append(token)


def sample_replies(model, vocabulary, conversations, speakers=None, batch_size=64, max_length=None, **options):
    """`reply` for many conversations at once, in batches; returns a list of str.

    Sampling noise is keyed by (seed, step, row), so each batch draws with its own seed (`seed` plus the index
    of its first conversation): no two conversations share their noise, and a model that ignores its context
    does not repeat one batch's replies in the next. Greedy and beam replies are `reply`'s (up to the last
    bits of a batch's logits).
    """
    speakers = speakers or [None] * len(conversations)
    max_length = _check(model, max_length, options.get("temperature", 0.0), options.get("top_k", 0),
                        options.get("top_p", 1.0), options.get("beam_width", 1))
    rows = [context_ids(model, vocabulary, turns, speaker) for turns, speaker in zip(conversations, speakers)]
    texts, seed = [], options.pop("seed", 0)
    for start in range(0, len(rows), batch_size):
        ids = reply_ids(model, rows[start: start + batch_size], max_length, seed=seed + start, **options)
        texts += [_finish(vocabulary, row, 0, max_length).text for row in ids]
    return texts
