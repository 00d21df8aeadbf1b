"""The lectures' SGD toy problem, with `model.fit` on a one-parameter Keras model.

Data x = -10, -9, ..., 10; loss (x_i - θ)²; θ_0 = -20; five passes over the
data in random order. Three runs:

- SGD, batch 1, constant α = 0.5: every step puts θ on the sampled point, so θ
  bounces among the data forever;
- SGD, batch 1, α_k = 0.5/(1 + k) (the `sgd_inverse_time` recipe): θ is the
  running mean of the points seen, 0 after each full pass;
- the full-batch gradient, α = 0.5: θ = 0 after one step.

Writes docs/images/sgd_toy_problem.png (mse and θ against the step) and
prints where each run ends.

    python recipes/sgd_toy_problem.py
"""

import argparse
import os

import numpy as np

from kerazoo import optimizers
from kerazoo.optimizers import lab
from kerazoo.optimizers import plots

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURE = os.path.join(ROOT, "docs", "images", "sgd_toy_problem.png")


def run(epochs=5, seed=0):
    """The three runs, by label."""
    full_batch = len(lab.TOY_DATA)
    return {
        "SGD, constant α = 0.5": lab.sgd_toy_problem(
            optimizers.get("sgd", learning_rate=0.5), epochs=epochs, seed=seed
        ),
        "SGD, α_k = 0.5/(1+k)": lab.sgd_toy_problem(optimizers.get("sgd_inverse_time"), epochs=epochs, seed=seed),
        "full-batch gradient, α = 0.5": lab.sgd_toy_problem(
            optimizers.get("sgd", learning_rate=0.5), batch_size=full_batch, epochs=epochs, seed=seed
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=FIGURE)
    args = parser.parse_args(argv)
    runs = run(args.epochs, args.seed)
    plots.plot_toy_runs(runs, args.output, data_variance=float(np.var(lab.TOY_DATA)))
    print(f"wrote {args.output}")
    print("| run | steps | final θ | largest abs(θ) in the last pass | final mse |")
    print("| --- | --- | --- | --- | --- |")
    for label, result in runs.items():
        steps = len(result.theta) - 1
        last_pass = result.theta[-(steps // args.epochs):]
        print(f"| {label} | {steps} | {result.theta[-1]:.3g} | {np.abs(last_pass).max():.3g} | {result.mse[-1]:.4f} |")


if __name__ == "__main__":
    main()
