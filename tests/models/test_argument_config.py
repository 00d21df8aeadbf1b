"""The functional models' config is their constructor's arguments, as resolved, and rebuilds them."""

import inspect

import pytest

from kerazoo import CharRNN
from kerazoo import ElmoBiLM
from kerazoo import GPT
from kerazoo import Seq2SeqLSTM
from kerazoo import Transformer
from kerazoo.models.argument_config import constructor_arguments

TINY = [
    (GPT, {"vocabulary_size": 10, "num_layers": 1, "num_heads": 2, "hidden_dim": 4, "max_sequence_length": 5}),
    (Transformer, {"source_vocabulary_size": 10, "target_vocabulary_size": 9, "num_layers": 1, "num_heads": 2,
                   "hidden_dim": 4, "intermediate_dim": 8, "max_sequence_length": 5}),
    (Seq2SeqLSTM, {"source_vocabulary_size": 10, "target_vocabulary_size": 9, "embedding_dim": 4, "units": 4}),
    (CharRNN, {"vocabulary_size": 10, "cell_type": "gru", "units": 4, "num_layers": 1}),
    (ElmoBiLM, {"vocabulary_size": 10, "character_filters": [(1, 2)], "character_embedding_dim": 2,
                "projection_dim": 4, "num_layers": 1, "lstm_units": 4, "num_highway": 0}),
]


@pytest.mark.parametrize("cls, kwargs", TINY, ids=[cls.__name__ for cls, _ in TINY])
def test_the_config_holds_every_constructor_argument_and_rebuilds_the_model(cls, kwargs):
    model = cls(**kwargs, name="tiny")
    config = model.get_config()
    named = [name for name in inspect.signature(cls).parameters if name != "kwargs"]
    assert list(config) == ["name", "trainable", *named]
    assert all(config[key] == value for key, value in kwargs.items() if key != "character_filters")
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config
    assert [tuple(w.shape) for w in rebuilt.weights] == [tuple(w.shape) for w in model.weights]


def test_an_argument_the_constructor_resolves_is_kept_as_resolved():
    model = GPT(vocabulary_size=10, num_layers=1, num_heads=2, hidden_dim=4, max_sequence_length=5)
    assert model.get_config()["intermediate_dim"] == 16  # None means 4 * hidden_dim
    model = Seq2SeqLSTM(10, 9, embedding_dim=4, units=6)
    assert model.get_config()["attention_units"] == 6  # None means units


def test_constructor_arguments_leave_out_self_and_the_keyword_catch_all():
    assert constructor_arguments(Seq2SeqLSTM) == (
        "source_vocabulary_size", "target_vocabulary_size", "embedding_dim", "units", "attention_units",
        "max_sequence_length",
    )
