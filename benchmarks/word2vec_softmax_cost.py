"""Cost of a skip-gram training step as the vocabulary grows: full softmax against negative sampling.

    python benchmarks/word2vec_softmax_cost.py

The full softmax (eq. 2 of Mikolov et al. 2013b) scores every (target, w)
for all V words at every step, so its step time grows linearly with V;
negative sampling scores 1 + K words per pair whatever V is. Both models
train with `fit` (SGD, XLA) on the same random (target, context) batches of
1,024 pairs, embedding width 100, after one warm-up execution that compiles.

Prints one JSON line per (model, vocabulary size) and appends them to
benchmarks/results/word2vec_softmax_cost.jsonl.

    python benchmarks/word2vec_softmax_cost.py --batch-sweep

measures instead negative sampling alone at the plays' vocabulary (8,672)
for several batch sizes: the CPU cost per pair that `batch_size` trades
against agreement with gensim (see word2vec_schedules.py).
"""

import argparse
import datetime
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

from kerazoo.models.word2vec import build_skipgram  # noqa: E402
from kerazoo.models.word2vec import build_skipgram_softmax  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_table  # noqa: E402
from kerazoo.training.publish import hardware  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(kind, vocabulary_size, args, batch_size=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    batch_size = batch_size or args.batch_size
    shape = (args.steps, batch_size)
    targets = rng.integers(0, vocabulary_size, shape).astype("int32")
    contexts = rng.integers(0, vocabulary_size, shape).astype("int32")
    if kind == "softmax":
        model = build_skipgram_softmax(vocabulary_size, args.embedding_dim)
        model.compile(
            optimizer=keras.optimizers.SGD(0.01),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=True,
            steps_per_execution=args.steps,
        )
        data = (targets.reshape(-1), contexts.reshape(-1))
    else:
        model = build_skipgram(vocabulary_size, args.embedding_dim, num_negative=5)
        model.compile(optimizer=keras.optimizers.SGD(0.01), jit_compile=True, steps_per_execution=args.steps)
        negatives = rng.integers(0, vocabulary_size, shape + (5,)).astype("int32")
        data = ({"target": targets.reshape(-1), "context": contexts.reshape(-1), "negative": negatives.reshape(-1, 5)},)
    fit = dict(batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    model.fit(*data, **fit)  # compiles
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(*data, **fit)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "benchmark": "word2vec_softmax_cost",
        "model": "full softmax" if kind == "softmax" else "negative sampling (K=5)",
        "vocabulary_size": vocabulary_size,
        "batch_size": batch_size,
        "embedding_dim": args.embedding_dim,
        "ms_per_step": round(1e3 * wall / args.steps, 3),
        "cpu_ms_per_step": round(1e3 * cpu / args.steps, 3),
        "cpu_us_per_pair": round(1e6 * cpu / (args.steps * batch_size), 3),
        "parameters": model.count_params(),
        "backend": keras.backend.backend(),
        "hardware": hardware(),
        "date": datetime.date.today().isoformat(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,4000,8000,16000,32000", help="vocabulary sizes")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--embedding-dim", type=int, default=100)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per case")
    parser.add_argument("--batch-sweep", action="store_true", help="negative sampling at V=8672, several batch sizes")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.batch_sweep:
        cases = [("negative", 8672, batch) for batch in (1024, 2048, 4096, 8192)]
    else:
        cases = [(kind, int(size), None) for size in args.sizes.split(",") for kind in ("softmax", "negative")]
    rows = []
    for kind, size, batch in cases:
        row = measure(kind, size, args, batch)
        print(json.dumps(row), flush=True)
        rows.append(row)
    if not args.no_save:
        results_table.append("word2vec_softmax_cost.jsonl", rows)
    return rows


if __name__ == "__main__":
    main()
