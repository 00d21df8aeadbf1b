"""The training entry points from before the families, kept as thin wrappers around the runner.

`kerazoo.training.train` and `resolve_config` take any family; the older
per-task names (`train_seq2seq`, `train_word2vec`, `train_bilm`, ...) keep their
arguments and return values for the code and recipes that call them. None of
them asks what a family is: each names the model it trains by default, and
what a family serves (word vectors for word2vec) comes from `serving_model`.
"""

import os

import keras

from kerazoo.models.export_protocol import TRANSLATE
from kerazoo.models.registry import FAMILIES
from kerazoo.models.registry import family_of_config
from kerazoo.models.registry import family_of_model
from kerazoo.models.registry import family_of_run
from kerazoo.models.registry import resolve_config
from kerazoo.training.runner import load_checkpoint
from kerazoo.training.runner import load_run
from kerazoo.training.runner import train


def build_model(config, vocabulary_size):
    """The untrained model of a language-model config, for `vocabulary_size` characters."""
    return family_of_model(config["model"]).builders[config["model"]](vocabulary_size, **config["model_kwargs"])


def compile_model(model, config, steps_per_epoch=None):
    """Compiles a character language model as its run would; see `kerazoo.models.causal_lm`."""
    from kerazoo.models.causal_lm import compile_language_model

    return compile_language_model(model, config, steps_per_epoch)


def _best(output, model):
    path = os.path.join(output, "best.keras")
    return keras.saving.load_model(path) if os.path.exists(path) else model


def train_best(config, output, callbacks=None):
    """Trains a run; returns `(its best model, vocabulary, metrics)` (`train_seq2seq`, `train_bilm`)."""
    model, vocabulary, metrics = train(config, output, callbacks)
    return _best(output, model), vocabulary, metrics


def train_served(config, output=None, sentences=None, callbacks=None):
    """Trains a run and returns `(model, vocabulary, what its SavedModel serves, metrics)`.

    For word2vec the served object is the word vectors (`KeyedVectors`), so this is `train_word2vec`.

    Args:
        config: dict from `resolve_config`.
        output: str or None. A run folder; None trains in memory.
        sentences: an in-memory corpus, or None to load `config["corpus"]`.
        callbacks: list of extra Keras callbacks.
    """
    model, vocabulary, metrics = train(config, output, callbacks, corpus=sentences)
    return model, vocabulary, family_of_config(config).serving_model(model, vocabulary), metrics


def load_served_run(run_dir):
    """`(vocabulary, what its SavedModel serves)` of a finished run: its final model, as `train_served` returned it."""
    family = family_of_run(run_dir)
    if family is None:
        raise FileNotFoundError(
            f"No trained model in {run_dir!r}: config.json is missing. Train one with `kerazoo train MODEL --output RUN_DIR`."
        )
    model, vocabulary = load_run(run_dir, which="final")
    return vocabulary, family.serving_model(model, vocabulary)


def resolve_seq2seq_config(model=None, config=None, model_kwargs=None, preset=None, **training):
    """A run configuration of a sequence-to-sequence model (`transformer` by default)."""
    resolved = resolve_config(model=model if (model or config or preset) else "transformer", config=config,
                              model_kwargs=model_kwargs, preset=preset, **training)
    if TRANSLATE not in family_of_config(resolved).capabilities:
        known = [name for family in FAMILIES if TRANSLATE in family.capabilities for name in family.models]
        raise ValueError(f"`model` must be one of {known}. Received: model={model!r}")
    return resolved


def resolve_word2vec_config(config=None, preset=None, **settings):
    """A word2vec run configuration; builder arguments (`embedding_dim`, `num_negative`) go to `model_kwargs`."""
    return resolve_config(model="word2vec", config=config, preset=preset, **settings)


def resolve_bilm_config(model=None, config=None, model_kwargs=None, preset=None, **training):
    """A run configuration of ELMo's biLM (`elmo-small` unless a configuration is named)."""
    return resolve_config(model=model or "elmo", config=config, model_kwargs=model_kwargs, preset=preset, **training)


train_seq2seq = train_best
load_seq2seq_run = load_run
train_word2vec = train_served
load_word2vec_run = load_served_run
train_bilm = train_best
load_bilm_run = load_run

__all__ = [
    "build_model", "compile_model", "load_checkpoint", "resolve_seq2seq_config", "train_seq2seq",
    "load_seq2seq_run", "resolve_word2vec_config", "train_word2vec", "load_word2vec_run", "resolve_bilm_config",
    "train_bilm", "load_bilm_run", "train_served", "load_served_run",
]
