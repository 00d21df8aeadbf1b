import itertools

import numpy as np
import pytest
from keras import ops

from kerazoo.generation.beam_search import beam_search

# A Markov chain over {0 pad, 1 start, 2 end, 3 a, 4 b}: row = last token, columns = next-token probabilities.
TABLE = np.array(
    [
        [1e-9, 1e-9, 1.0, 1e-9, 1e-9],
        [1e-9, 1e-9, 1e-9, 0.6, 0.4],  # after start: a is likelier ...
        [1e-9, 1e-9, 1.0, 1e-9, 1e-9],
        [1e-9, 1e-9, 0.3, 0.35, 0.35],  # ... but a leads nowhere certain
        [1e-9, 1e-9, 0.95, 0.025, 0.025],  # while b almost surely ends
    ],
    "float32",
)
LOG_TABLE = np.log(TABLE / TABLE.sum(1, keepdims=True))


def step(token_ids, state):
    return ops.take(ops.convert_to_tensor(LOG_TABLE), token_ids, axis=0), state


def score(sequence):
    tokens = [1] + list(sequence)
    total = 0.0
    for previous, current in zip(tokens, tokens[1:]):
        total += LOG_TABLE[previous, current]
        if current == 2:
            break
    return total


def test_beam_search_finds_the_best_sequence_that_greedy_misses():
    state = (np.zeros((1, 1), "float32"),)
    greedy, _ = beam_search(step, state, start_id=1, end_id=2, max_length=4, beam_width=1)
    beam, beam_score = beam_search(step, state, start_id=1, end_id=2, max_length=4, beam_width=3)
    greedy, beam = ops.convert_to_numpy(greedy)[0], ops.convert_to_numpy(beam)[0]
    assert list(greedy[:2]) == [1, 3]  # greedy takes the likelier first token
    best = max(itertools.product([2, 3, 4], repeat=4), key=score)
    assert list(beam[1 : 1 + list(best).index(2) + 1]) == list(best[: list(best).index(2) + 1])
    assert list(beam[:3]) == [1, 4, 2]
    np.testing.assert_allclose(ops.convert_to_numpy(beam_score)[0], score(best), atol=1e-4)


def test_finished_hypotheses_only_repeat_the_end_token():
    state = (np.zeros((2, 1), "float32"),)
    tokens, _ = beam_search(step, state, start_id=1, end_id=2, max_length=5, beam_width=2)
    for row in ops.convert_to_numpy(tokens):
        after_end = row[list(row).index(2) :]
        assert np.all(after_end == 2)


def test_bad_beam_width():
    with pytest.raises(ValueError, match="beam_width=0"):
        beam_search(step, (np.zeros((1, 1), "float32"),), 1, 2, 3, beam_width=0)
