"""Training of skip-gram word2vec with `model.fit`: the one entry point the CLI, recipes and benchmarks call.

A run folder holds:

    config.json        the resolved configuration
    vocabulary.json    the words and their counts
    model.keras        the trained `SkipGram`
    vectors.bin        the word vectors, word2vec binary format (gensim reads it)
    metrics.json       loss per epoch, wall time, sizes
"""

import copy
import json
import os
import time

import keras
import numpy as np

from kerazoo.data.skipgram import SkipGramData
from kerazoo.data.words import WordVocabulary
from kerazoo.data.words import load_sentences
from kerazoo.models.word2vec import WORD2VEC_PRESETS
from kerazoo.models.word2vec import KeyedVectors
from kerazoo.models.word2vec import build_skipgram
from kerazoo.training.trainer import run_model_name

# Flat, commented defaults (the `fast` preset); a preset overrides them, the command line both.
WORD2VEC_DEFAULTS = {
    "corpus": "shakespeare",  # "shakespeare", "tiny_shakespeare" or a text file
    "data_dir": None,  # tensorflow-datasets folder (tiny_shakespeare)
    "embedding_dim": 100,  # gensim's vector_size
    "window": 5,  # largest target-context distance; each target draws a smaller one
    "num_negative": 5,  # negatives per pair
    "min_count": 5,  # drop rarer words
    "max_vocab": None,  # keep at most this many words (None: no cap)
    "sample": 1e-3,  # subsampling threshold (0: off)
    "epochs": 2,
    "learning_rate": 0.05,  # per-pair SGD rate at the start (gensim's alpha)
    "min_learning_rate": 1e-4,  # ...decayed linearly to this (gensim's min_alpha)
    "batch_size": 4096,  # pairs per step
    "steps_per_execution": 32,  # steps per compiled call: fewer Python round trips
    "jit_compile": "auto",  # XLA; "auto": on for TensorFlow and JAX (Keras's own "auto" skips it on CPU)
    "seed": 0,
    "pipeline": "auto",  # "tf", "numpy", or "auto" (tf.data on TensorFlow)
    "verbose": 1,
}
MODEL_NAME = "word2vec"


def resolve_word2vec_config(preset=None, **settings):
    """Merges defaults, a preset and explicit settings (None values are ignored)."""
    config = dict(WORD2VEC_DEFAULTS)
    if preset is not None:
        if preset not in WORD2VEC_PRESETS:
            raise ValueError(
                f"`preset` must be one of {sorted(WORD2VEC_PRESETS)}. Received: preset={preset!r}"
            )
        config.update(copy.deepcopy(WORD2VEC_PRESETS[preset]["training"]))
    unknown = set(settings) - set(WORD2VEC_DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown word2vec settings: {sorted(unknown)}. Known: {sorted(WORD2VEC_DEFAULTS)}")
    config.update({key: value for key, value in settings.items() if value is not None})
    for name in ("embedding_dim", "window", "num_negative", "min_count", "epochs", "batch_size", "steps_per_execution"):
        if not isinstance(config[name], int) or config[name] < 1:
            raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={config[name]!r}")
    for name in ("learning_rate", "min_learning_rate"):
        if not config[name] > 0:
            raise ValueError(f"`{name}` must be > 0. Received: {name}={config[name]!r}")
    if config["max_vocab"] is not None and config["max_vocab"] < 2:
        raise ValueError(f"`max_vocab` must be >= 2 or None. Received: max_vocab={config['max_vocab']!r}")
    if not config["sample"] >= 0:
        raise ValueError(f"`sample` must be >= 0 (0 is off). Received: sample={config['sample']!r}")
    config.update({"model": MODEL_NAME, "preset": preset})
    return config


class _Clock(keras.callbacks.Callback):
    """Records when training, the first compiled call and each epoch end."""

    def __init__(self, start):
        super().__init__()
        self.start = start
        self.marks = {}

    def _mark(self, name):
        self.marks.setdefault(name, round(time.perf_counter() - self.start, 3))

    def on_train_begin(self, logs=None):
        self._mark("train_begin")

    def on_train_batch_end(self, batch, logs=None):
        self._mark("first_call_end")

    def on_epoch_end(self, epoch, logs=None):
        self._mark(f"epoch_{epoch + 1}_end")


def _jit_compile(setting):
    # Keras's "auto" leaves XLA off on a CPU-only TensorFlow; for this model's gathers
    # and scatter updates XLA is still 2-3 times faster per step there.
    if setting == "auto" and keras.backend.backend() in ("tensorflow", "jax"):
        return True
    return setting


def train_word2vec(config, output=None, sentences=None, callbacks=None):
    """Trains skip-gram with negative sampling on a corpus with `model.fit`.

    Args:
        config: dict from `resolve_word2vec_config`.
        output: str or None. A run folder to write (see the module docstring);
            None keeps everything in memory.
        sentences: list of token lists, or None to load `config["corpus"]`.
        callbacks: list of extra Keras callbacks.

    Returns:
        `(model, vocabulary, vectors, metrics)`: the `SkipGram`, its
        `WordVocabulary`, the word vectors as `KeyedVectors`, and a dict of
        measurements.
    """
    start = time.perf_counter()
    keras.utils.set_random_seed(config["seed"])
    if output is not None and os.path.exists(os.path.join(output, "model.keras")):
        raise ValueError(f"The run folder {output!r} holds a trained model. Pass a new `--output`.")
    if sentences is None:
        sentences = load_sentences(config["corpus"], data_dir=config["data_dir"])
    clock = _Clock(time.perf_counter())
    vocabulary = WordVocabulary.from_sentences(sentences, config["min_count"], config["max_vocab"])
    clock._mark("vocabulary")
    if vocabulary.size < 2:
        raise ValueError(
            f"`min_count`={config['min_count']} leaves {vocabulary.size} word ({vocabulary.words[0]!r}); "
            "negative sampling needs at least 2. Use a smaller min_count."
        )
    data = SkipGramData.from_sentences(
        sentences,
        vocabulary,
        window=config["window"],
        num_negative=config["num_negative"],
        sample=config["sample"],
        batch_size=config["batch_size"],
        seed=config["seed"],
        steps_multiple=config["steps_per_execution"],
    )
    clock._mark("pipeline_setup")
    # An execution must not run into the next epoch: steps are a multiple of it, or fewer.
    steps_per_execution = min(config["steps_per_execution"], data.steps_per_epoch)
    model = build_skipgram(vocabulary.size, config["embedding_dim"], config["num_negative"])
    # The model's loss is a batch mean: SGD at rate alpha * batch steps each pair by alpha, as gensim does.
    batch = data.batch_size
    total_steps = data.steps_per_epoch * config["epochs"]
    schedule = keras.optimizers.schedules.PolynomialDecay(
        config["learning_rate"] * batch,
        decay_steps=max(1, total_steps - 1),
        end_learning_rate=config["min_learning_rate"] * batch,
        power=1.0,
    )
    model.compile(
        optimizer=keras.optimizers.SGD(schedule),
        jit_compile=_jit_compile(config["jit_compile"]),
        steps_per_execution=steps_per_execution,
    )
    dataset = data.dataset(config["epochs"], pipeline=config["pipeline"])
    clock._mark("dataset")
    history = model.fit(
        dataset,
        epochs=config["epochs"],
        steps_per_epoch=data.steps_per_epoch,
        # Too large a rate or batch diverges (docs/results.md): stop at the first NaN.
        callbacks=[clock, keras.callbacks.TerminateOnNaN(), *(callbacks or [])],
        verbose=config["verbose"],
        shuffle=False,  # the pipeline shuffles the pairs of every epoch
    )
    clock._mark("fit_end")
    vectors = KeyedVectors.from_model(model, vocabulary)
    wall = time.perf_counter() - start
    metrics = {
        "history": [
            {"epoch": i + 1, **{key: float(values[i]) for key, values in history.history.items()}}
            for i in range(len(history.history.get("loss", [])))
        ],
        "wall_s": round(wall, 3),
        # Seconds from the start of training to each point: where the time goes.
        "clock_s": clock.marks,
        "vocabulary_size": vocabulary.size,
        "corpus_words": int(vocabulary.counts.sum()),
        "sentences": len(sentences),
        "batch_size": batch,
        "steps_per_epoch": data.steps_per_epoch,
        "pairs_per_epoch": data.pairs_per_epoch,
        "terminated_on_nan": bool(model.stop_training) or not np.isfinite(vectors.vectors).all(),
        "backend": keras.backend.backend(),
    }
    if output is not None:
        _write_run(output, config, model, vocabulary, vectors, metrics)
    return model, vocabulary, vectors, metrics


def _write_run(output, config, model, vocabulary, vectors, metrics):
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    vocabulary.save(os.path.join(output, "vocabulary.json"))
    vectors.save_word2vec_format(os.path.join(output, "vectors.bin"), binary=True)
    with open(os.path.join(output, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2)
    # Written last: its presence marks a finished run.
    model.save(os.path.join(output, "model.keras"))


def is_word2vec_run(run_dir):
    """Whether `run_dir` holds a word2vec run (its config names the model)."""
    return run_model_name(run_dir) == MODEL_NAME


def load_word2vec_run(run_dir):
    """The vocabulary and word vectors of a finished word2vec run: `(vocabulary, vectors)`."""
    vectors_path = os.path.join(run_dir, "vectors.bin")
    if not os.path.exists(vectors_path):
        raise FileNotFoundError(
            f"No trained word vectors in {run_dir!r}: vectors.bin is missing. "
            "Train them with `kerazoo train word2vec --output RUN_DIR`."
        )
    vocabulary = WordVocabulary.load(os.path.join(run_dir, "vocabulary.json"))
    return vocabulary, KeyedVectors.load_word2vec_format(vectors_path, binary=True)
