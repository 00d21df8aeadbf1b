"""Training throughput (characters/s) of the fused and the cell-API LSTM, side by side in one run.

    python benchmarks/lstm_throughput.py --units 512 --num-layers 2

Both models have the same shapes and weights count; each is timed over the
same number of `fit` steps on random ids after a warm-up epoch (compilation).
Prints one JSON line per case and appends them to
benchmarks/results/lstm_throughput.jsonl.
"""

import argparse
import datetime
import json
import os
import sys
import time

import numpy as np
import keras

from kerazoo import build_lstm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kerazoo.training.publish import hardware  # noqa: E402


def measure(cell_api, args):
    keras.utils.set_random_seed(0)
    model = build_lstm(
        args.vocabulary, units=args.units, num_layers=args.num_layers, embedding_dim=64, cell_api=cell_api
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    ids = rng.integers(0, args.vocabulary, size=(args.batch_size * args.steps, args.seq_length + 1)).astype("int32")
    x, y = ids[:, :-1], ids[:, 1:]
    model.fit(x[: args.batch_size * 2], y[: args.batch_size * 2], batch_size=args.batch_size, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0, shuffle=False)
    elapsed = time.perf_counter() - start
    return {
        "benchmark": "lstm_throughput",
        "path": "cell_api (RNN(StackedRNNCells(LSTMCell)))" if cell_api else "fused (keras.layers.LSTM)",
        "units": args.units,
        "num_layers": args.num_layers,
        "batch_size": args.batch_size,
        "seq_length": args.seq_length,
        "steps": args.steps,
        "train_chars_per_s": round(args.steps * args.batch_size * args.seq_length / elapsed, 1),
        "parameters": model.count_params(),
        "backend": keras.backend.backend(),
        "hardware": hardware(),
        "date": datetime.date.today().isoformat(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=512)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-length", type=int, default=100)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--vocabulary", type=int, default=66)
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(os.path.join(here, "results"), exist_ok=True)
    for cell_api in (False, True):
        line = json.dumps(measure(cell_api, args))
        print(line, flush=True)
        with open(os.path.join(here, "results", "lstm_throughput.jsonl"), "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
