"""kerazoo: a Keras model zoo for the classic sequence models.

The public names load on first use (PEP 562), so that the `kerazoo` command
starts without importing Keras and its backend until it needs them, and can
keep TensorFlow's native log lines out of its output. The first name used
loads the registry of families, which registers every kerazoo class with
Keras, so `keras.saving.load_model` then reads any kerazoo `.keras` file.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "from_preset": "kerazoo.models.presets",
    "CharVocabulary": "kerazoo.data.vocabulary",
    "CharRNN": "kerazoo.models.char_rnn",
    "build_gru": "kerazoo.models.char_rnn",
    "build_lstm": "kerazoo.models.char_rnn",
    "build_simple_rnn": "kerazoo.models.char_rnn",
    "ElmoBiLM": "kerazoo.models.elmo",
    "ElmoEmbedder": "kerazoo.models.elmo",
    "build_elmo": "kerazoo.models.elmo",
    "build_elmo_embedder": "kerazoo.models.elmo",
    "GPT": "kerazoo.models.gpt",
    "build_gpt": "kerazoo.models.gpt",
    "Seq2SeqLSTM": "kerazoo.models.seq2seq",
    "build_seq2seq_lstm": "kerazoo.models.seq2seq",
    "Transformer": "kerazoo.models.transformer",
    "build_transformer": "kerazoo.models.transformer",
    "KeyedVectors": "kerazoo.models.word2vec",
    "build_skipgram": "kerazoo.models.word2vec",
    "build_skipgram_softmax": "kerazoo.models.word2vec",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    import importlib.util

    if name.startswith("__") or (name not in _PUBLIC and importlib.util.find_spec(f"kerazoo.{name}") is not None):
        # A subpackage (`from kerazoo import optimizers`): the import system loads it after this error.
        raise AttributeError(f"module 'kerazoo' has no attribute {name!r}")
    registry = importlib.import_module("kerazoo.models.registry")
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    else:
        # A family added since this list was written exports its builders and model classes by their names.
        found = [obj for family in registry.FAMILIES for obj in (*family.builders.values(), *family.model_classes)
                 if obj.__name__ == name]
        if not found:
            raise AttributeError(f"module 'kerazoo' has no attribute {name!r}")
        value = found[0]
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
