"""The word2vec family: skip-gram with negative sampling, trained on a corpus's sentences.

The model and its loss are in `skipgram_model.py`, gensim's query API in
`keyed_vectors.py`, the presets in `word2vec_configs.py`; this family object
makes the pairs (`word2vec_data.py`, streamed: `word2vec_stream_data.py`), trains with SGD at gensim's
linearly decaying rate, and writes the vectors in word2vec's binary format.
"""

import os

import keras

from kerazoo.data.corpora import NAMED_CORPORA
from kerazoo.data.text_shards import count_words
from kerazoo.data.text_shards import default_cache_dir
from kerazoo.data.text_shards import resolve_shards
from kerazoo.data.tf_distribute import current_worker
from kerazoo.data.tf_distribute import per_worker_dataset
from kerazoo.models import family
from kerazoo.models.family import Family
from kerazoo.models.family import Flag
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags
from kerazoo.models.family import positive_int
from kerazoo.models.word2vec import word2vec_export  # noqa: F401  (registers its signature builders and limit)
from kerazoo.models.word2vec import word2vec_hogwild_step
from kerazoo.models.word2vec.keyed_vectors import KeyedVectors
from kerazoo.models.word2vec.keyed_vectors import spearman_correlation
from kerazoo.models.word2vec.skipgram_model import SkipGram
from kerazoo.models.word2vec.word2vec_builders import build_skipgram
from kerazoo.models.word2vec.word2vec_builders import build_skipgram_softmax
from kerazoo.models.word2vec.word2vec_corpus import load_sentences
from kerazoo.models.word2vec.word2vec_data import SkipGramData
from kerazoo.models.word2vec.word2vec_configs import WORD2VEC_CONFIGS
from kerazoo.models.word2vec.word2vec_progress import WordProgress
from kerazoo.models.word2vec.word2vec_stream_data import SkipGramStream
from kerazoo.models.word2vec.word2vec_vocabulary import WordVocabulary

# Flat, commented defaults (the `fast` preset); a preset overrides them, the command line both.
# The model's own arguments (embedding_dim, num_negative) are the preset's `model_kwargs`.
WORD2VEC_DEFAULTS = {
    "corpus": "shakespeare",  # "shakespeare", "tiny_shakespeare", or text on disk: a file, a folder or a glob (streamed)
    "data_dir": None,  # tensorflow-datasets folder (tiny_shakespeare)
    # A corpus on disk is encoded to token ids once, here (None: $KERAZOO_CACHE_DIR or ~/.cache/kerazoo)
    "cache_dir": None,
    "window": 5,  # largest target-context distance; each target draws a smaller one
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
    "max_minutes": None,  # stop after this much wall time; rerun to go on
    "pipeline": "auto",  # "tf", "numpy", or "auto" (tf.data on TensorFlow)
    "verbose": 1,
    # "multi-worker": every worker (TF_CONFIG) streams its own shards of a corpus on disk, a batch per step
    "distribute": "none",
    # "keras": `model.fit`, a batch of pairs per step (any backend and device, corpora on disk, multi-worker);
    # "hogwild": word2vec.c's pair-by-pair SGD compiled by Numba, threads sharing the tables (CPU, in memory)
    "step": "keras",
    "workers": None,  # hogwild threads (None: one per CPU core)
}
# The builder's arguments, kept in `model_kwargs`.
MODEL_ARGUMENTS = ("embedding_dim", "num_negative")


def _jit_compile(setting):
    # Keras's "auto" leaves XLA off on a CPU-only TensorFlow; for this model's gathers
    # and scatter updates XLA is still 2-3 times faster per step there.
    if setting == "auto" and keras.backend.backend() in ("tensorflow", "jax"):
        return True
    return setting


def _pair_settings(config):
    """How pairs are drawn and batched, the same for a corpus in memory and one streamed from disk."""
    return {
        "window": config["window"],
        "num_negative": config["model_kwargs"].get("num_negative", 5),
        "sample": config["sample"],
        "batch_size": config["batch_size"],
        "seed": config["seed"],
        "steps_multiple": config["steps_per_execution"],
    }


def _check_vocabulary(vocabulary, config):
    if vocabulary.size < 2:
        raise ValueError(
            f"`min_count`={config['min_count']} leaves {vocabulary.size} word ({vocabulary.words[0]!r}); "
            "negative sampling needs at least 2. Use a smaller min_count."
        )


class Word2VecFamily(Family):
    name = "word2vec"
    description = "Skip-gram word2vec with negative sampling; gensim-style KeyedVectors."
    builders = {"word2vec": build_skipgram}
    model_classes = (SkipGram, KeyedVectors)
    configs = WORD2VEC_CONFIGS
    defaults = WORD2VEC_DEFAULTS
    default_config = "fast"
    flags = common_flags(
        "corpus", "data_dir", "epochs", "batch_size", "learning_rate", "seed", "max_minutes", "pipeline", "verbose",
        "min_count", "max_vocab",
    ) + (
        Flag("distribute", choices=("none", "multi-worker"),
             help="multi-worker: each worker of the TF_CONFIG cluster streams its own shards of --corpus"),
        Flag("embedding_dim", positive_int, target="model", help="vector size"),
        Flag("num_negative", positive_int, target="model", option="--negative", help="negatives per pair"),
        Flag("window", positive_int),
        Flag("sample", float, help="subsampling threshold (0: off)"),
        Flag("cache_dir", help="a corpus on disk: where its shards are kept encoded as token ids "
             "(default $KERAZOO_CACHE_DIR or ~/.cache/kerazoo)"),
        Flag("step", choices=("keras", "hogwild"),
             help="keras: model.fit on batches of pairs; hogwild: word2vec.c's pair-by-pair SGD on CPU threads "
             "(Numba)"),
        Flag("workers", positive_int, help="hogwild threads (default: one per CPU core)"),
    )
    capabilities = (family.EMBED,)
    signatures = {"embed": "embed_words", "most_similar": "most_similar_words"}
    command_options = {"embed": (
        Flag("topn", positive_int, help="word2vec: neighbours per word (default 10)"),
        Flag("vectors", switch=True, help="word2vec: print each word's vector too"),
    )}
    identity = ("family", "model", "model_kwargs", "corpus", "window", "min_count", "max_vocab", "sample")
    monitor = "loss"
    settings_label = "word2vec"
    units = "pairs"
    vocabulary_class = WordVocabulary
    summary_keys = ("loss", "vocabulary_size", "corpus_words", "wall_s")

    def check_config(self, config, explicit=None, config_training=None):
        kwargs = config["model_kwargs"]
        for name in MODEL_ARGUMENTS:
            if name in kwargs:
                family.check_integers(kwargs, (name,))
        family.check_integers(config, ("window", "min_count", "epochs", "batch_size", "steps_per_execution"))
        family.check_positive(config, ("learning_rate", "min_learning_rate"))
        family.check_time_budget(config)
        if config["max_vocab"] is not None and config["max_vocab"] < 2:
            raise ValueError(f"`max_vocab` must be >= 2 or None. Received: max_vocab={config['max_vocab']!r}")
        cache_dir = config.get("cache_dir")
        if cache_dir is not None and not (isinstance(cache_dir, (str, os.PathLike)) and str(cache_dir)):
            raise ValueError(f"`cache_dir` must be a folder path or None. Received: cache_dir={cache_dir!r}")
        if not config["sample"] >= 0:
            raise ValueError(f"`sample` must be >= 0 (0 is off). Received: sample={config['sample']!r}")
        family.check_distribute(config, ("none", "multi-worker"))
        if config["distribute"] == "multi-worker":
            if config["corpus"] in NAMED_CORPORA:
                raise ValueError(
                    "Multi-worker word2vec streams each worker's own shards of a corpus on disk; a named corpus is "
                    f"one tensor. Pass --corpus FILE, DIR or GLOB. Received: corpus={config['corpus']!r}"
                )
            if config["pipeline"] == "numpy":
                raise ValueError("Multi-worker word2vec streams through tf.data. Received: pipeline='numpy'")
            if keras.backend.backend() != "tensorflow":
                raise ValueError(
                    "Multi-worker word2vec runs on the tensorflow backend (each worker reads its shards through "
                    f"tf.distribute). Received backend: {keras.backend.backend()!r}"
                )
        word2vec_hogwild_step.check_step(config, explicit or {})

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        if corpus is None and config["corpus"] not in NAMED_CORPORA:
            return self._prepare_stream(config, vocabulary, initial_epoch, replicas)
        sentences = corpus if corpus is not None else load_sentences(config["corpus"], data_dir=config["data_dir"])
        if vocabulary is None:
            vocabulary = WordVocabulary.from_sentences(sentences, config["min_count"], config["max_vocab"])
        _check_vocabulary(vocabulary, config)
        if config["step"] == "hogwild":
            return word2vec_hogwild_step.prepare(config, vocabulary, sentences=sentences)
        data = SkipGramData.from_sentences(sentences, vocabulary, **_pair_settings(config))
        return RunData(
            vocabulary=vocabulary,
            train=data.dataset(config["epochs"], pipeline=config["pipeline"], initial_epoch=initial_epoch),
            steps_per_epoch=data.steps_per_epoch,
            units_per_step=data.batch_size,
            facts={
                "vocabulary_size": vocabulary.size,
                "corpus_words": int(vocabulary.counts.sum()),
                "sentences": len(sentences),
                "batch_size": data.batch_size,
                "steps_per_epoch": data.steps_per_epoch,
                "pairs_per_epoch": data.pairs_per_epoch,
            },
            extra={"skipgram": data, "words_per_step": int(vocabulary.counts.sum()) / data.steps_per_epoch},
        )

    def _prepare_stream(self, config, vocabulary, initial_epoch, replicas=1):
        """A corpus on disk (a file, a folder or a glob of shards): one counting pass, then a stream."""
        shards = resolve_shards(config["corpus"], "corpus")
        worker_index, num_workers = current_worker()
        if num_workers > 1 and replicas != num_workers:  # checked before the counting pass reads the corpus
            raise ValueError(
                f"Multi-worker word2vec takes one replica per worker; this cluster has {num_workers} workers and "
                f"{replicas} replicas. Give each worker one device."
            )
        # The counting pass encodes each shard to token ids once (or finds them encoded): epochs read ids.
        counts = count_words(shards, "corpus", cache_dir=str(config.get("cache_dir") or default_cache_dir()))
        if vocabulary is None:
            vocabulary = WordVocabulary.from_counter(counts.counter, config["min_count"], config["max_vocab"])
        _check_vocabulary(vocabulary, config)
        data = SkipGramStream(shards, vocabulary, counts.shard_tokens, worker_index=worker_index,
                              num_workers=num_workers, encoded=counts.encoded, **_pair_settings(config))
        if config["step"] == "hogwild":
            facts = {"vocabulary_size": vocabulary.size, "corpus_words": int(vocabulary.counts.sum()),
                     "corpus_tokens": counts.tokens, "sentences": counts.sentences, "shards": len(shards),
                     "streamed": True}
            return word2vec_hogwild_step.prepare(config, vocabulary, stream=data, facts=facts)

        def make_dataset():
            return data.dataset(pipeline=config["pipeline"], initial_epoch=initial_epoch)

        # Each worker's stream is its replica's batch: a step trains on `batch_size * workers` pairs.
        train = per_worker_dataset(make_dataset) if num_workers > 1 else make_dataset()
        return RunData(
            vocabulary=vocabulary,
            train=train,
            steps_per_epoch=data.steps_per_epoch,
            units_per_step=data.batch_size * num_workers,
            facts={
                "vocabulary_size": vocabulary.size,
                "corpus_words": int(vocabulary.counts.sum()),
                "corpus_tokens": counts.tokens,
                "sentences": counts.sentences,
                "shards": len(shards),
                "worker_shards": len(data.shards),
                "workers": num_workers,
                "streamed": True,
                "batch_size": data.batch_size,
                "steps_per_epoch": data.steps_per_epoch,
                "pairs_per_epoch": data.pairs_per_epoch,
            },
            extra={"skipgram": data, "words_per_step": data.words_per_step, "workers": num_workers},
        )

    def compile(self, model, config, data):
        if config["step"] == "hogwild":
            # The hogwild step updates the tables itself; the optimizer (the same SGD at the run's first rate)
            # is kept so that a checkpoint holds what the Keras step's would, and it counts the epochs.
            model.compile(optimizer=keras.optimizers.SGD(config["learning_rate"]))
            return model
        # The loss is a batch mean: SGD at rate alpha * batch steps each pair by alpha, as gensim does.
        batch = data.units_per_step
        total_steps = data.steps_per_epoch * config["epochs"]
        schedule = keras.optimizers.schedules.PolynomialDecay(
            config["learning_rate"] * batch,
            decay_steps=max(1, total_steps - 1),
            end_learning_rate=config["min_learning_rate"] * batch,
            power=1.0,
        )
        multi_worker = data.extra.get("workers", 1) > 1
        model.compile(
            optimizer=keras.optimizers.SGD(schedule),
            # XLA on CPU cannot compile the cross-worker all-reduce: a multi-worker step runs without it.
            jit_compile=False if multi_worker else _jit_compile(config["jit_compile"]),
            # An execution must not run into the next epoch: steps are a multiple of it, or fewer. Keras 3.15's
            # loop of several steps per call cannot read a multi-worker input (TF asks for a placeholder's value).
            steps_per_execution=1 if multi_worker else min(config["steps_per_execution"], data.steps_per_epoch),
        )
        if keras.backend.backend() in ("tensorflow", "torch"):
            # The epoch's loss is a batch-size-weighted mean of batch losses; its running sum
            # passes 2**24 within an epoch of a large corpus, where float32 stops adding small
            # terms exactly (gensim issue 2735). float64 keeps it exact (JAX runs without x64).
            model._loss_tracker = keras.metrics.Mean(name="loss", dtype="float64")
        return model

    def fit(self, model, data, config, callbacks, initial_epoch=0):
        """`model.fit`, with word2vec's progress line (words/s and ETA) instead of Keras's step bar;
        or, for step='hogwild', the epochs of `word2vec_hogwild` on the model's two tables."""
        if config["step"] == "hogwild":
            return word2vec_hogwild_step.fit(self, model, data, config, callbacks, initial_epoch)
        if config.get("verbose", 1) == 1:
            progress = WordProgress(data.extra["words_per_step"], data.steps_per_epoch, config["epochs"], initial_epoch)
            callbacks = list(callbacks) + [progress]
            config = {**config, "verbose": 0}
        return super().fit(model, data, config, callbacks, initial_epoch)

    def finish_run(self, output, model, data, config):
        KeyedVectors.from_model(model, data.vocabulary).save_word2vec_format(
            os.path.join(output, "vectors.bin"), binary=True
        )

    def serving_model(self, model, vocabulary):
        if isinstance(model, KeyedVectors):
            return model
        return KeyedVectors.from_model(model, vocabulary)

    def export_info(self, served):
        return {}  # word vectors have no Keras config; the signatures record their sizes

    # --- Model cards of trained presets ---

    def measure(self, model, vocabulary, spec, folder=None):
        """`spearman_vs_gensim`: rank correlation of cosine similarities with gensim's on word pairs.

        The pairs and gensim's cosines are a file of the preset (`spec["data"]["reference"]`),
        written when the preset was published from gensim trained on the same corpus.
        """
        if spec["kind"] != "spearman_vs_gensim":
            return super().measure(model, vocabulary, spec, folder)
        import json

        import numpy as np

        with open(os.path.join(folder or ".", spec["data"]["reference"]), encoding="utf-8") as f:
            reference = json.load(f)
        vectors = KeyedVectors.from_model(model, vocabulary)
        limit = spec["data"].get("pairs") or len(reference["pairs"])
        ours, theirs = [], []
        for (first, second), cosine in zip(reference["pairs"][:limit], reference["cosines"][:limit]):
            if first in vectors and second in vectors:
                ours.append(vectors.similarity(first, second))
                theirs.append(cosine)
        return {"value": float(spearman_correlation(np.array(ours), np.array(theirs))), "pairs": len(ours)}

    def embed(self, model, vocabulary, texts, topn=10, vectors=False):
        """Each word's `topn` nearest neighbours by cosine (and its vector, with `vectors`)."""
        keyed = self.serving_model(model, vocabulary)
        rows = []
        for word in texts:
            if word not in keyed:
                raise ValueError(f"`text` holds a word that is not in the vocabulary. Received: {word!r}")
            row = {"word": word, "neighbours": [[w, round(float(s), 4)] for w, s in keyed.most_similar(word, topn=topn)]}
            if vectors:
                row["vector"] = [round(float(v), 6) for v in keyed[word]]
            rows.append(row)
        return rows

    def example(self, model, vocabulary):
        vectors = KeyedVectors.from_model(model, vocabulary)
        words = [word for word in ("king", "love", "night", "sword") if word in vectors]
        return {"input": words,
                "output": {word: [[w, round(float(s), 3)] for w, s in vectors.most_similar(word, topn=5)] for word in words}}


WORD2VEC_FAMILY = Word2VecFamily()
