"""Which learning-rate schedule and batch size: kerazoo skip-gram settings against one gensim reference.

    python benchmarks/word2vec_schedules.py

Trains gensim once with the reference settings (5 epochs, alpha 0.025 ->
0.0001, seed 1), then kerazoo with each (epochs, starting rate, batch size,
seed) below, every schedule decaying linearly to 0.0001 as gensim's does. For each
it prints one JSON line with kerazoo's wall time and the Spearman agreement
with the reference (20,000 random pairs of the 1,000 most frequent words, as
in word2vec_vs_gensim.py), and appends them to
benchmarks/results/word2vec_schedules.jsonl.
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

from kerazoo.models.word2vec.keyed_vectors import spearman_correlation  # noqa: E402
from kerazoo.models.word2vec.word2vec_corpus import load_sentences  # noqa: E402
from kerazoo.training import resolve_word2vec_config  # noqa: E402
from kerazoo.training import train_word2vec  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_table  # noqa: E402
from kerazoo.training.publish import hardware  # noqa: E402
from word2vec_vs_gensim import PAIRS  # noqa: E402
from word2vec_vs_gensim import TOP_WORDS  # noqa: E402
from word2vec_vs_gensim import cosine_pairs  # noqa: E402
from word2vec_vs_gensim import run_gensim  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# (epochs, starting learning rate, batch size, kerazoo seed)
SCHEDULES = [
    (5, 0.025, 4096, 0),  # gensim's schedule
    (3, 0.035, 4096, 0),
    (2, 0.05, 4096, 0),  # the default (`fast` preset), and other seeds of it
    (2, 0.05, 4096, 1),
    (2, 0.05, 4096, 2),
    (2, 0.05, 4096, 3),
    (2, 0.05, 2048, 0),
    (2, 0.05, 8192, 0),
    (2, 0.04, 4096, 0),
    (2, 0.07, 4096, 0),
    (1, 0.1, 4096, 0),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    sentences = load_sentences("shakespeare")
    reference, gensim_s = run_gensim(sentences, seed=1)
    top = reference.index_to_key[:TOP_WORDS]
    rng = np.random.default_rng(0)
    first, second = rng.integers(0, len(top), PAIRS), rng.integers(0, len(top), PAIRS)
    expected = cosine_pairs(reference, top, first, second)
    rows = []
    for epochs, rate, batch, seed in SCHEDULES:
        config = resolve_word2vec_config(epochs=epochs, learning_rate=rate, batch_size=batch, seed=seed, verbose=0,
                                         step="keras")
        start, cpu = time.perf_counter(), time.process_time()
        _, _, vectors, metrics = train_word2vec(config, sentences=sentences)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        pairs = metrics["pairs_per_epoch"] * epochs
        finite = bool(np.isfinite(vectors.vectors).all())
        row = {
            "benchmark": "word2vec_schedules",
            "epochs": epochs,
            "learning_rate": rate,
            "batch_size": batch,
            "seed": seed,
            "kerazoo_s": round(wall, 2),
            "kerazoo_cpu_s": round(cpu, 2),
            # CPU seconds of the whole run per pair trained: set-up included, so an upper bound.
            "cpu_us_per_pair": round(1e6 * cpu / pairs, 3),
            "gensim_reference_s": round(gensim_s, 2),
            "spearman_vs_gensim": round(spearman_correlation(cosine_pairs(vectors, top, first, second), expected), 4)
            if finite
            else None,
            "final_loss": round(metrics["history"][-1]["loss"], 4),
            "backend": keras.backend.backend(),
            "hardware": hardware(),
            "date": datetime.date.today().isoformat(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    if not args.no_save:
        results_table.append("word2vec_schedules.jsonl", rows)
    return rows


if __name__ == "__main__":
    main()
