"""The word2vec family's hogwild fit step: its settings, its run data and its epochs.

The family (`word2vec_family`) asks these three questions when a run's
`step` is "hogwild"; the pair loop itself and the epoch's blocks are in
`word2vec_hogwild`. Numba is imported only when the step is used.
"""

import os
import time

import keras
import numpy as np

from kerazoo.models.family import RunData

# Settings that only the Keras step reads: given with step="hogwild" they are refused, not ignored.
KERAS_STEP_SETTINGS = ("batch_size", "steps_per_execution", "jit_compile", "pipeline")


def check_step(config, explicit):
    """Raises ValueError naming a `step` or `workers` setting that the run's step cannot honour."""
    step = config["step"]
    if step not in ("keras", "hogwild"):
        raise ValueError(f"`step` must be 'keras' or 'hogwild'. Received: step={step!r}")
    workers = config["workers"]
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"`workers` must be an integer >= 1 or None. Received: workers={workers!r}")
    if step == "keras":
        if workers is not None:
            raise ValueError(f"`workers` sets the hogwild step's threads; step='keras' runs `model.fit`. "
                             f"Received: workers={workers!r} with step='keras'")
        return
    keras_only = sorted(key for key in KERAS_STEP_SETTINGS if key in explicit)
    if keras_only:
        raise ValueError(f"{keras_only} apply to step='keras' (batches of pairs under `model.fit`); step='hogwild' "
                         f"trains pair by pair. Received: {', '.join(f'{k}={explicit[k]!r}' for k in keras_only)} "
                         "with step='hogwild'")
    if config["distribute"] != "none":
        raise ValueError(f"step='hogwild' runs on one machine's CPU threads; several workers train with "
                         f"step='keras'. Received: distribute={config['distribute']!r} with step='hogwild'")
    from kerazoo.models.word2vec import word2vec_hogwild

    if not word2vec_hogwild.available():
        raise ValueError("step='hogwild' needs Numba (`pip install numba`, a kerazoo dependency); "
                         "step='keras' needs nothing more. Received: step='hogwild' without numba installed")


def prepare(config, vocabulary, sentences=None, stream=None, facts=None):
    """The corpus in blocks for the hogwild step: held in memory (`sentences`), or a stream's shards
    (`stream`, a `SkipGramStream`) read one at a time. One "step" is an epoch; its units, the epoch's pairs."""
    from kerazoo.models.word2vec import word2vec_hogwild
    from kerazoo.models.word2vec.word2vec_sampling import count_pairs

    settings = {"window": config["window"], "num_negative": config["model_kwargs"].get("num_negative", 5),
                "sample": config["sample"], "seed": config["seed"],
                "workers": config["workers"] or os.cpu_count() or 1}
    if stream is None:
        ids, sentence_ids = vocabulary.encode(sentences)
        epochs = word2vec_hogwild.HogwildEpochs.in_memory(ids, sentence_ids, vocabulary.counts, **settings)
        _, kept_sentences, radius = epochs.draw(0)
        pairs = count_pairs(kept_sentences, np.ones(len(kept_sentences), dtype=bool), radius, config["window"])
        facts = {"vocabulary_size": vocabulary.size, "corpus_words": epochs.words, "sentences": len(sentences)}
    else:
        blocks = [(unit, lambda unit=unit: stream.numpy_shard_ids(unit)) for unit in stream.units]
        epochs = word2vec_hogwild.HogwildEpochs(blocks, vocabulary.counts, **settings)
        pairs = stream.pairs_per_epoch  # estimated from the first shards' draws
    word2vec_hogwild.kernel()  # compiled (or read from Numba's cache) before the clock of the first epoch
    return RunData(
        vocabulary=vocabulary,
        train=None,
        steps_per_epoch=1,
        units_per_step=pairs,
        facts={**facts, "step": "hogwild", "workers": epochs.workers, "pairs_per_epoch": pairs},
        extra={"hogwild": epochs},
    )


def fit(family, model, data, config, callbacks, initial_epoch):
    """Epochs of pair-by-pair SGD on NumPy copies of the tables, written back into the model after each.

    `family.fit_epochs` calls the callbacks as `model.fit` does (a restored
    backup's tables are the ones the first epoch reads); the optimizer's
    `iterations` counts epochs. The rate falls linearly over the run, from
    `learning_rate` to `min_learning_rate`, as gensim's does over its words.
    """
    epochs = data.extra["hogwild"]
    tables = [model.get_layer(name).embeddings for name in ("target_embedding", "context_embedding")]
    arrays = []  # the NumPy tables, read from the model at the first epoch (after a backup is restored)
    total, first, last = config["epochs"], config["learning_rate"], config["min_learning_rate"]
    seconds = {}

    def train_epoch(epoch):
        if not arrays:
            arrays.extend(np.ascontiguousarray(keras.ops.convert_to_numpy(t), dtype=np.float32) for t in tables)
        clock = time.perf_counter()
        result = epochs.train_epoch(*arrays, epoch, first + (last - first) * epoch / total,
                                    first + (last - first) * (epoch + 1) / total)
        seconds[epoch] = (time.perf_counter() - clock, result["pairs"])
        for table, array in zip(tables, arrays):
            table.assign(array)
        return {"loss": result["loss"]}

    def report(epoch, logs):
        if config.get("verbose", 1):
            wall, pairs = seconds[epoch]
            print(f"Epoch {epoch + 1}/{total}: loss {logs['loss']:.4f}, {pairs:,} pairs, "
                  f"{epochs.words / wall:,.0f} words/s on {epochs.workers} threads", flush=True)

    return family.fit_epochs(model, callbacks, total, initial_epoch, train_epoch, report=report)
