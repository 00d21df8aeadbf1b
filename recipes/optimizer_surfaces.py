"""SGD, momentum, Adagrad, RMSProp and Adam on a saddle and on an ill-conditioned bowl.

Each optimizer is a kerazoo recipe, driven by `model.fit` on a two-parameter
Keras model (`kerazoo.optimizers.lab.surface_trajectory`). The learning rates
below were picked by hand, per surface and optimizer, so that every path
shows its character within 100 steps; they are written in the legend. They
are not tuned to make any optimizer win.

- saddle: f = x² + y⁴/4 − y²/2, start (1, 0.001) just off the ridge y = 0;
  the minima are at (0, ±1). Plain gradient steps in y are proportional to
  y, so they leave the saddle slowly; methods that divide by a running
  gradient size leave it at once.
- bowl: f = (x² + 50 y²)/2, start (−4, 1). Plain SGD must keep α < 2/50 for
  the steep direction and so crawls along the flat one.

Writes docs/images/optimizer_surfaces.png.

    python recipes/optimizer_surfaces.py
"""

import argparse
import os

import numpy as np

from kerazoo import optimizers
from kerazoo.optimizers import lab
from kerazoo.optimizers import plots

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURE = os.path.join(ROOT, "docs", "images", "optimizer_surfaces.png")

SURFACES = {
    "saddle": {
        "start": (1.0, 0.001),
        "box": ((-1.5, 1.5), (-1.5, 1.5)),
        "rates": {"sgd": 0.05, "momentum": 0.05, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.05},
        "title": "saddle f = x² + y⁴/4 − y²/2, start (1, 0.001)",
    },
    "ill_conditioned_bowl": {
        "start": (-4.0, 1.0),
        "box": ((-4.5, 4.5), (-1.5, 1.5)),
        "rates": {"sgd": 0.035, "momentum": 0.01, "adagrad": 1.0, "rmsprop": 0.05, "adam": 0.2},
        "title": "ill-conditioned bowl f = (x² + 50y²)/2, start (−4, 1)",
    },
}


def run(steps=100):
    """The paths of the five recipes on both surfaces: surface -> label -> (steps + 1, 2)."""
    paths = {}
    for surface, setup in SURFACES.items():
        paths[surface] = {}
        for name, rate in setup["rates"].items():
            optimizer = optimizers.get(name, learning_rate=rate)
            paths[surface][f"{name} α={rate:g}"] = lab.surface_trajectory(surface, optimizer, setup["start"], steps)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--output", default=FIGURE)
    args = parser.parse_args(argv)
    paths = run(args.steps)
    panels = []
    for surface, setup in SURFACES.items():
        (x0, x1), (y0, y1) = setup["box"]
        X, Y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        panels.append({"title": setup["title"], "grid": (X, Y, lab.surface_values(surface, X, Y)),
                       "paths": paths[surface], "levels": 30})
    plots.plot_trajectories(panels, args.output)
    print(f"wrote {args.output}")
    print(f"| surface | optimizer | point after {args.steps} steps | f there |")
    print("| --- | --- | --- | --- |")
    for surface, runs in paths.items():
        for label, points in runs.items():
            x, y = points[-1]
            print(f"| {surface} | {label} | ({x:.3g}, {y:.3g}) | {float(lab.surface_values(surface, x, y)):.4g} |")


if __name__ == "__main__":
    main()
