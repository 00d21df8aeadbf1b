"""Beam search over any decoder of the decoding protocol, in `keras.ops` only.

Each row keeps `beam_width` hypotheses. At every step each hypothesis is
extended by every token, and the `beam_width` best of the
`beam_width * vocabulary` candidates survive, scored by their summed log
probabilities. A hypothesis that has produced the end token stays finished:
its only continuation is the end token again, at no cost. The state (any
nest of tensors with the batch first, like a cache or encoder outputs)
follows its hypothesis when beams are reordered.
"""

from keras import ops

from kerazoo.generation.decoding import banned_mask
from kerazoo.utils.arguments import check_integer


def _tile(x, beam_width):
    if len(x.shape) == 0:
        return x
    return ops.repeat(x, beam_width, axis=0)


def _reorder(x, rows):
    if len(x.shape) == 0:
        return x
    return ops.take(x, rows, axis=0)


def _map(fn, state):
    if isinstance(state, (list, tuple)):
        return type(state)(_map(fn, item) for item in state)
    return fn(state)


def beam_search(step_fn, state, start_id, end_id, max_length, beam_width=4, length_penalty=0.0, banned_id=None):
    """Finds high-scoring continuations of the start token.

    Args:
        step_fn: `(token_ids (batch,), state) -> (logits (batch, vocab), state)`.
        state: the initial state for `batch` rows (batch-first tensors; scalars
            are shared by all rows).
        start_id, end_id: ints.
        max_length: int. Tokens generated after the start token.
        beam_width: int >= 1. 1 is greedy search.
        length_penalty: float. Final scores are divided by length^alpha
            (Wu et al., 2016, without their constant); 0 keeps raw sums.
        banned_id: int, tuple of ints, or None. Tokens never generated (padding, start).

    Returns:
        `(tokens, scores)`: int32 `(batch, max_length + 1)` of the best
        hypothesis per row, starting with `start_id`, and its score `(batch,)`.
    """
    check_integer("beam_width", beam_width, minimum=1)
    first = next(x for x in _flatten(state) if len(x.shape) > 0)
    batch = ops.shape(first)[0]
    state = _map(lambda x: _tile(x, beam_width), state)
    width = max_length + 1
    tokens = ops.concatenate(
        [ops.full((batch * beam_width, 1), start_id, "int32"), ops.zeros((batch * beam_width, max_length), "int32")],
        axis=1,
    )
    # Only the first beam is live at the start, so the first step does not pick duplicates.
    scores = ops.concatenate(
        [ops.zeros((batch, 1)), ops.full((batch, beam_width - 1), -1e9)], axis=1
    )
    finished = ops.zeros((batch, beam_width), dtype="bool")
    lengths = ops.zeros((batch, beam_width), dtype="float32")
    columns = ops.arange(width)

    def body(t, carry):
        tokens, state, scores, finished, lengths = carry
        logits, state = step_fn(ops.take(tokens, t, axis=1), state)
        logits = ops.cast(logits, "float32")
        vocabulary = ops.shape(logits)[-1]
        log_probs = ops.log_softmax(logits, axis=-1)
        if banned_id is not None:
            log_probs = ops.where(banned_mask(vocabulary, banned_id), -1e9, log_probs)
        log_probs = ops.reshape(log_probs, (batch, beam_width, vocabulary))
        # A finished hypothesis continues with the end token only, at no cost.
        only_end = ops.where(ops.arange(vocabulary) == end_id, 0.0, -1e9)
        log_probs = ops.where(ops.expand_dims(finished, -1), only_end, log_probs)
        candidates = ops.reshape(ops.expand_dims(scores, -1) + log_probs, (batch, beam_width * vocabulary))
        scores, best = ops.top_k(candidates, beam_width)
        beam = best // vocabulary
        token = ops.cast(best % vocabulary, "int32")
        rows = ops.reshape(beam + ops.expand_dims(ops.arange(batch) * beam_width, 1), (-1,))
        state = _map(lambda x: _reorder(x, rows), state)
        tokens = ops.take(tokens, rows, axis=0)
        tokens = ops.where(ops.expand_dims(columns == t + 1, 0), ops.reshape(token, (-1, 1)), tokens)
        was_finished = ops.take_along_axis(finished, beam, axis=1)
        lengths = ops.take_along_axis(lengths, beam, axis=1) + ops.cast(ops.logical_not(was_finished), "float32")
        finished = ops.logical_or(was_finished, token == end_id)
        return tokens, state, scores, finished, lengths

    tokens, _, scores, _, lengths = ops.fori_loop(0, max_length, body, (tokens, state, scores, finished, lengths))
    ranked = scores / ops.power(ops.maximum(lengths, 1.0), float(length_penalty)) if length_penalty else scores
    best = ops.argmax(ranked, axis=1)
    rows = best + ops.arange(batch) * beam_width
    return ops.take(tokens, rows, axis=0), ops.take_along_axis(ranked, ops.expand_dims(best, 1), axis=1)[:, 0]


def _flatten(state):
    if isinstance(state, (list, tuple)):
        for item in state:
            yield from _flatten(item)
    else:
        yield state
