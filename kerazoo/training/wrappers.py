"""The training entry points from before the families, kept as thin wrappers around the runner.

`kerazoo.training.train` and `resolve_config` take any family now; the
per-family names (`train_seq2seq`, `train_word2vec`, `train_bilm`, ...) keep
their arguments and return values for the code and recipes that call them.
"""

import os

import keras

from kerazoo.models.causal_lm import compile_language_model
from kerazoo.models.elmo.elmo_family import ELMO
from kerazoo.models.registry import family_of_model
from kerazoo.models.registry import family_of_preset
from kerazoo.models.registry import family_of_run
from kerazoo.models.seq2seq_lm import Seq2SeqFamily
from kerazoo.models.word2vec.keyed_vectors import KeyedVectors
from kerazoo.models.word2vec.word2vec_family import MODEL_ARGUMENTS
from kerazoo.models.word2vec.word2vec_family import WORD2VEC
from kerazoo.training.runner import load_checkpoint
from kerazoo.training.runner import load_run
from kerazoo.training.runner import train


def build_model(config, vocabulary_size):
    """The untrained model of a language-model config, for `vocabulary_size` characters."""
    return family_of_model(config["model"]).builders[config["model"]](vocabulary_size, **config["model_kwargs"])


def compile_model(model, config, steps_per_epoch=None):
    """Compiles a character language model as its run would; see `kerazoo.models.causal_lm`."""
    return compile_language_model(model, config, steps_per_epoch)


def _best(output, model):
    path = os.path.join(output, "best.keras")
    return keras.saving.load_model(path) if os.path.exists(path) else model


# --- Sequence to sequence ---


def resolve_seq2seq_config(model=None, preset=None, model_kwargs=None, **training):
    """A run configuration of a sequence-to-sequence model (`transformer` by default)."""
    if preset is not None:
        family = family_of_preset(preset)
    else:
        family = family_of_model(model or "transformer")
    if not isinstance(family, Seq2SeqFamily):
        known = [name for name in ("transformer", "seq2seq_lstm")]  # the sequence-to-sequence models
        raise ValueError(f"`model` must be one of {known}. Received: model={model!r}")
    return family.resolve_config(model=model, preset=preset, model_kwargs=model_kwargs, **training)


def train_best(config, output, callbacks=None):
    """Trains a run; returns `(its best model, vocabulary, metrics)` (`train_seq2seq`, `train_bilm`)."""
    model, vocabulary, metrics = train(config, output, callbacks)
    return _best(output, model), vocabulary, metrics


train_seq2seq = train_best
load_seq2seq_run = load_run


def is_seq2seq_run(run_dir):
    return isinstance(family_of_run(run_dir), Seq2SeqFamily)


# --- word2vec ---


def resolve_word2vec_config(preset=None, **settings):
    """A word2vec run configuration; `embedding_dim` and `num_negative` go to the model's arguments."""
    model_kwargs = {key: settings.pop(key) for key in MODEL_ARGUMENTS if settings.get(key) is not None}
    for key in MODEL_ARGUMENTS:
        settings.pop(key, None)
    return WORD2VEC.resolve_config(preset=preset, model_kwargs=model_kwargs, **settings)


def train_word2vec(config, output=None, sentences=None, callbacks=None):
    """Trains skip-gram word2vec.

    Args:
        config: dict from `resolve_word2vec_config`.
        output: str or None. A run folder; None trains in memory.
        sentences: list of token lists, or None to load `config["corpus"]`.
        callbacks: list of extra Keras callbacks.

    Returns:
        `(model, vocabulary, vectors, metrics)`.
    """
    model, vocabulary, metrics = train(config, output, callbacks, corpus=sentences)
    return model, vocabulary, KeyedVectors.from_model(model, vocabulary), metrics


def load_word2vec_run(run_dir):
    """The vocabulary and word vectors of a finished word2vec run: `(vocabulary, vectors)`."""
    vectors_path = os.path.join(run_dir, "vectors.bin")
    if not os.path.exists(vectors_path):
        raise FileNotFoundError(
            f"No trained word vectors in {run_dir!r}: vectors.bin is missing. "
            "Train them with `kerazoo train word2vec --output RUN_DIR`."
        )
    vocabulary = WORD2VEC.load_vocabulary(os.path.join(run_dir, WORD2VEC.vocabulary_file))
    return vocabulary, KeyedVectors.load_word2vec_format(vectors_path, binary=True)


def is_word2vec_run(run_dir):
    return family_of_run(run_dir) is WORD2VEC


# --- ELMo ---


def resolve_bilm_config(model=None, preset=None, model_kwargs=None, **training):
    """A run configuration of ELMo's biLM (`elmo-small` unless a preset is named)."""
    return ELMO.resolve_config(model=model, preset=preset, model_kwargs=model_kwargs, **training)


train_bilm = train_best
load_bilm_run = load_run


def is_bilm_run(run_dir):
    return family_of_run(run_dir) is ELMO


__all__ = [
    "build_model", "compile_model", "load_checkpoint", "resolve_seq2seq_config", "train_seq2seq",
    "load_seq2seq_run", "is_seq2seq_run", "resolve_word2vec_config", "train_word2vec", "load_word2vec_run",
    "is_word2vec_run", "resolve_bilm_config", "train_bilm", "load_bilm_run", "is_bilm_run",
]
