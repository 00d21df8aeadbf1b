"""SGD, momentum, Adagrad, RMSProp and Adam on a small char model, loss curves together.

Each optimizer trains the `rnn-lecture` preset (the lectures' SimpleRNN, 64
units, one-hot input, context 50, batch 64) on the embedded `shakespeare`
corpus for 500 steps (20 epochs of 25 steps), with the same seed and data
order, through `kerazoo.training.train`, exactly as

    kerazoo train simple_rnn --preset rnn-lecture --optimizer NAME --learning-rate RATE \\
        --epochs 20 --steps-per-epoch 25 --validation-steps 20

would. Gradients are clipped to a global norm of 5 (the preset's). The rates
are each recipe's usual scale for this kind of model, set once and not tuned.

Writes docs/images/optimizer_char_model.png and prints the table for
docs/results.md.

    python recipes/optimizer_char_model.py
"""

import argparse
import os
import tempfile

from kerazoo.optimizers import plots
from kerazoo.training import resolve_config
from kerazoo.training import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURE = os.path.join(ROOT, "docs", "images", "optimizer_char_model.png")

RATES = {"sgd": 1.0, "momentum": 0.1, "adagrad": 0.1, "rmsprop": 2e-3, "adam": 2e-3}
SETTINGS = {
    "preset": "rnn-lecture",
    "corpus": "shakespeare",
    "epochs": 20,
    "steps_per_epoch": 25,
    "validation_steps": 20,
    "sample_every": 0,
    "verbose": 0,
    "seed": 0,
}


def run(runs_dir, epochs=SETTINGS["epochs"], steps_per_epoch=SETTINGS["steps_per_epoch"], rates=RATES):
    """Trains one run per optimizer under `runs_dir`; returns name -> metrics.json contents."""
    results = {}
    for name, rate in rates.items():
        settings = dict(SETTINGS, epochs=epochs, steps_per_epoch=steps_per_epoch)
        config = resolve_config(optimizer=name, learning_rate=rate, **settings)
        _, _, metrics = train(config, os.path.join(runs_dir, name))
        results[name] = metrics
        print(f"{name}: validation loss {metrics['history'][-1]['val_loss']:.3f} after {metrics['steps']} steps", flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", help="where the run folders go (default: a new temporary folder)")
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    parser.add_argument("--steps-per-epoch", type=int, default=SETTINGS["steps_per_epoch"])
    parser.add_argument("--output", default=FIGURE)
    args = parser.parse_args(argv)
    runs_dir = args.runs_dir or tempfile.mkdtemp(prefix="optimizer_char_model-")
    results = run(runs_dir, args.epochs, args.steps_per_epoch)
    curves = {}
    for name, metrics in results.items():
        history = metrics["history"]
        curves[f"{name} α={RATES[name]:g}"] = {
            "steps": [(row["epoch"] + 1) * args.steps_per_epoch for row in history],
            "loss": [row["loss"] for row in history],
            "val_loss": [row["val_loss"] for row in history],
        }
    title = f"rnn-lecture SimpleRNN-64 on shakespeare, {args.epochs * args.steps_per_epoch} steps"
    plots.plot_loss_curves(curves, args.output, title=title)
    print(f"wrote {args.output} (runs in {runs_dir})")
    print("| optimizer | learning rate | train loss, last epoch | validation loss, last | best validation loss | wall (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, metrics in results.items():
        last = metrics["history"][-1]
        print(f"| `{name}` | {RATES[name]:g} | {last['loss']:.3f} | {last['val_loss']:.3f} | "
              f"{metrics['best_val_loss']:.3f} | {metrics['wall_s']:.0f} |")


if __name__ == "__main__":
    main()
