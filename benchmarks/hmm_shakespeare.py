"""Trains the HMM presets (64 and 256 states, by Baum-Welch and by gradient descent) and reports held-out bits/char.

Prints one JSON line per run and appends it to benchmarks/results/hmm.jsonl.

    KERAZOO_TINY_SHAKESPEARE=../shared/data/tinyshakespeare/input.txt \\
        python benchmarks/hmm_shakespeare.py --states 64 256 --fit em gradient --minutes 5

Each run trains on tiny_shakespeare's train split (its first 1,003,854
characters) and validates on its held-out split (nanoGPT's val) under a
wall-time budget. Two held-out losses of the best checkpoint are given:
`val_bpc_streamed` (the leaderboard's figure: the whole split read as one
stream, the filter carried) and `val_bpc_windowed` (fit's own figure, on
windows of `seq_length` characters each read from the prior).

`run_hmm(states, fit, output, minutes)` is the function a leaderboard calls
for one row; the command line calls it for each combination.
"""

import argparse
import datetime
import json
import os
import sys

import keras

from kerazoo.models.hmm.hmm_family import HMM_FAMILY
from kerazoo.training import train
from kerazoo.training.publish import hardware

HERE = os.path.dirname(os.path.abspath(__file__))


def run_hmm(states, fit, output, minutes=5.0, seed=0, command=None):
    """Trains the `hmm-{states}-{fit}` preset into `output` for at most `minutes`; returns its result row.

    The equivalent command line is
    `kerazoo train hmm --preset hmm-{states}-{fit} --max-minutes MINUTES --output OUTPUT`
    (the preset sets `--corpus tiny_shakespeare --validation-split heldout --fit FIT --states STATES`).
    """
    config = HMM_FAMILY.resolve_config(preset=f"hmm-{states}-{fit}", max_minutes=minutes, seed=seed, verbose=2)
    _, _, metrics = train(config, output)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "benchmark": "hmm",
        "model": f"HMM-{states} ({'Baum-Welch' if fit == 'em' else 'gradient'})",
        "family": "hmm",
        "preset": config["training_config"],
        "states": states,
        "fit": fit,
        "corpus": config["corpus"],
        "validation_split": config["validation_split"],
        "val_bpc_streamed": round(metrics["streamed_val_bpc"], 4),
        "val_loss_streamed": round(metrics["streamed_val_loss"], 4),
        "val_bpc_windowed": round(metrics["best_val_bpc"], 4),
        "val_loss_windowed": round(metrics["best_val_loss"], 4),
        "train_loss_final": round(metrics["final"]["loss"], 4),
        "epochs": metrics["epochs_completed"],
        "steps": metrics["steps"],
        "wall_s": metrics["wall_s"],
        "wall_s_total": metrics.get("wall_s_total", metrics["wall_s"]),
        "parameters": metrics["parameters"],
        "backend": keras.backend.backend(),
        "hardware": hardware(),
        "load_average_1min_at_end": None if load is None else round(load, 2),
        "date": datetime.date.today().isoformat(),
        "command": command,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--fit", nargs="+", choices=("em", "gradient"), default=["em", "gradient"])
    parser.add_argument("--minutes", type=float, default=5.0, help="training wall-time budget of each run")
    parser.add_argument("--output", default=os.path.join("runs", "bench"), help="parent of the run folders")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    command = "python " + " ".join([os.path.relpath(__file__)] + (argv if argv is not None else sys.argv[1:]))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    for states in args.states:
        for fit in args.fit:
            output = os.path.join(args.output, f"hmm-{states}-{fit}-{stamp}")
            line = json.dumps(run_hmm(states, fit, output, args.minutes, args.seed, command))
            print(line, flush=True)
            with open(os.path.join(HERE, "results", "hmm.jsonl"), "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
