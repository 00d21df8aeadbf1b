"""The argument checks accept what is in range and name the argument and the value otherwise."""

import numpy as np
import pytest

from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number
from kerazoo.utils.arguments import check_positive
from kerazoo.utils.arguments import check_rate


def test_accepted_values_are_returned_unchanged():
    assert check_integer("units", 3, minimum=1) == 3
    assert check_integer("units", np.int64(3), minimum=1) == 3
    assert check_integer("units", None, minimum=1, allow_none=True) is None
    assert check_number("rate", 0.5, minimum=0, maximum=1) == 0.5
    assert check_positive("epsilon", 1e-5) == 1e-5
    assert check_rate("dropout", 0.0) == 0.0
    assert check_choice("cell_type", "gru", ("lstm", "gru")) == "gru"


@pytest.mark.parametrize(
    "check, message",
    [
        (lambda: check_integer("units", 0, minimum=1), "`units` must be an integer >= 1. Received: units=0"),
        (lambda: check_integer("units", 2.0, minimum=1), "`units` must be an integer >= 1. Received: units=2.0"),
        (lambda: check_integer("units", True, minimum=1), "`units` must be an integer >= 1. Received: units=True"),
        (lambda: check_integer("units", None, minimum=1), "`units` must be an integer >= 1. Received: units=None"),
        (lambda: check_integer("units", "4", minimum=1), "`units` must be an integer >= 1. Received: units='4'"),
        (lambda: check_integer("size", -1, minimum=0, allow_none=True),
         "`size` must be an integer >= 0 or None. Received: size=-1"),
        (lambda: check_integer("length", 9, minimum=1, maximum=8), "`length` must be an integer in [1, 8]. Received: length=9"),
        (lambda: check_integer("index", 3, minimum=0, maximum=3, exclusive_maximum=True),
         "`index` must be an integer in [0, 3). Received: index=3"),
        (lambda: check_integer("top_k", -1, minimum=0, note="0 turns it off"),
         "`top_k` must be an integer >= 0 (0 turns it off). Received: top_k=-1"),
        (lambda: check_number("rate", 1.5, minimum=0, maximum=1, exclusive_minimum=True),
         "`rate` must be in (0, 1]. Received: rate=1.5"),
        (lambda: check_number("rate", float("nan"), minimum=0), "`rate` must be >= 0. Received: rate=nan"),
        (lambda: check_number("rate", "fast", minimum=0), "`rate` must be a number >= 0. Received: rate='fast'"),
        (lambda: check_number("rate", float("inf"), minimum=0, finite=True),
         "`rate` must be a finite number >= 0. Received: rate=inf"),
        (lambda: check_positive("epsilon", 0.0), "`epsilon` must be > 0. Received: epsilon=0.0"),
        (lambda: check_positive("clip", -1.0, allow_none=True), "`clip` must be > 0 or None. Received: clip=-1.0"),
        (lambda: check_rate("dropout", 1.0), "`dropout` must be in [0, 1). Received: dropout=1.0"),
        (lambda: check_choice("cell_type", "rnn", ("lstm", "gru")),
         "`cell_type` must be one of ['lstm', 'gru']. Received: cell_type='rnn'"),
        (lambda: check_choice("cell_type", ["lstm"], {"lstm": 1}),
         "`cell_type` must be one of ['lstm']. Received: cell_type=['lstm']"),
    ],
)
def test_a_refused_value_is_named_with_what_it_must_be(check, message):
    with pytest.raises(ValueError) as error:
        check()
    assert str(error.value) == message
