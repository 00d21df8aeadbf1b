"""Trains a char-model preset under a wall-time budget and reports held-out loss.

Prints one JSON line and appends it to benchmarks/results/char_rnn.jsonl.

    python benchmarks/char_rnn.py --preset quick --minutes 10 \
        --corpus ../shared/data/tinyshakespeare/input.txt

Validation is tiny_shakespeare's validation + test (the `heldout` split,
nanoGPT's val split). Two losses are given for the best checkpoint:
`val_loss_windowed`, fit's own figure on seq_length windows that each start
from a zero state, and `val_loss_streamed`, with the state carried through
the whole held-out text (see kerazoo.models.char_rnn.char_rnn_evaluation.streaming_loss).
"""

import argparse
import datetime
import json
import os
import sys

import keras

from kerazoo.data.corpora import load_corpus
from kerazoo.training import load_run
from kerazoo.training import resolve_config
from kerazoo.models.char_rnn.char_rnn_evaluation import streaming_loss
from kerazoo.training import train
from kerazoo.training.publish import hardware

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", required=True)
    parser.add_argument("--minutes", type=float, required=True, help="training wall-time budget")
    parser.add_argument("--corpus", default="tiny_shakespeare")
    parser.add_argument("--validation-split", default="heldout")
    parser.add_argument("--steps-per-epoch", type=int, default=100, help="steps between validations")
    parser.add_argument("--output", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], help="override a training setting, KEY=VALUE (JSON value)")
    args = parser.parse_args(argv)

    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        overrides[key] = json.loads(value)
    config = resolve_config(
        preset=args.preset,
        corpus=args.corpus,
        validation_split=args.validation_split,
        epochs=100_000,
        steps_per_epoch=args.steps_per_epoch,
        max_minutes=args.minutes,
        sample_every=0,
        seed=args.seed,
        verbose=2,
        **overrides,
    )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = args.output or os.path.join("runs", "bench", f"{args.preset}-{stamp}")
    _, _, metrics = train(config, output)
    model, vocabulary = load_run(output, which="best")
    corpus = load_corpus(args.corpus)
    streamed = streaming_loss(model, vocabulary.encode(corpus.split(args.validation_split)))
    final = metrics["final"]
    result = {
        "benchmark": "char_rnn",
        "preset": args.preset,
        "corpus": os.path.basename(str(args.corpus)),
        "validation_split": args.validation_split,
        "overrides": overrides,
        "val_loss_windowed": round(metrics["best_val_loss"], 4),
        "val_loss_streamed": round(streamed["loss"], 4),
        "val_bpc_streamed": round(streamed["bpc"], 4),
        "train_accuracy_final": round(final["accuracy"], 4),
        "val_accuracy_final": round(final.get("val_accuracy") or 0.0, 4),
        "steps": metrics["steps"],
        "wall_s": metrics["wall_s"],
        # A run continued after its budget adds up its sessions here.
        "wall_s_total": metrics.get("wall_s_total", metrics["wall_s"]),
        # Characters trained per second of the session's wall time, validation included, as published.
        "train_chars_per_s": round(
            (metrics["steps"] - metrics["steps_before_session"]) * config["seq_length"] * config["batch_size"]
            / metrics["wall_s_this_session"], 1
        ),
        "parameters": metrics["parameters"],
        "backend": keras.backend.backend(),
        "hardware": hardware(),
        "date": datetime.date.today().isoformat(),
        "command": "python " + " ".join([os.path.relpath(__file__)] + (argv or sys.argv[1:])),
    }
    line = json.dumps(result)
    print(line)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "char_rnn.jsonl"), "a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main()
