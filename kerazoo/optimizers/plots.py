"""PNG figures for schedules and the optimization lab (matplotlib, imported when used).

Figures are drawn on `matplotlib.figure.Figure` objects, without pyplot, so
they need no display and leave no global state behind.
"""

import os

import numpy as np

from kerazoo.optimizers.schedules import evaluate_schedule
from kerazoo.utils.arguments import check_integer

# At most this many steps are evaluated for a schedule plot, spread evenly.
MAX_PLOTTED_STEPS = 100_000


def _figure(width=6.4, height=4.0, columns=1):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, axes


def _save(figure, path):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def plotted_steps(steps):
    """The steps 0..steps−1 a schedule plot evaluates: all of them, or an even spread."""
    check_integer("steps", steps, minimum=1)
    count = min(steps, MAX_PLOTTED_STEPS)
    return np.unique(np.linspace(0, steps - 1, count).round().astype("int64"))


def plot_schedule(schedule, steps, path, title=None, log_y=False):
    """Writes a PNG of a learning-rate schedule over optimizer steps 0..steps−1.

    Args:
        schedule: a `LearningRateSchedule` or a float.
        steps: int. The number of optimizer steps to show.
        path: str. The PNG file to write.
        title: str or None.
        log_y: bool. A logarithmic rate axis.

    Returns:
        dict with `path`, and the `first`, `last` and `peak` rates and `peak_step`.
    """
    ks = plotted_steps(steps)
    rates = evaluate_schedule(schedule, ks)
    figure, (axis,) = _figure()
    axis.plot(ks, rates, color="tab:blue")
    axis.set_xlabel("optimizer step k (one batch each)")
    axis.set_ylabel("learning rate α_k")
    if log_y and np.all(rates > 0):
        axis.set_yscale("log")
    axis.set_title(title or type(schedule).__name__)
    axis.grid(alpha=0.3)
    _save(figure, path)
    peak = int(np.argmax(rates))
    return {
        "path": path,
        "first": float(rates[0]),
        "last": float(rates[-1]),
        "peak": float(rates[peak]),
        "peak_step": int(ks[peak]),
    }


def plot_toy_runs(runs, path, data_variance=None):
    """The toy problem's full-data mse and θ against the step, one line per run, in one figure.

    Args:
        runs: dict label -> `kerazoo.optimizers.lab.ToyRun`.
        path: str. The PNG file to write.
        data_variance: float or None. Draws the minimum of the mse, var(x).
    """
    figure, (mse_axis, theta_axis) = _figure(width=11, height=4.0, columns=2)
    for label, run in runs.items():
        steps = np.arange(len(run.theta))
        mse_axis.plot(steps, run.mse, label=label, marker="." if len(steps) < 40 else None)
        theta_axis.plot(steps, run.theta, label=label, marker="." if len(steps) < 40 else None)
    if data_variance is not None:
        mse_axis.axhline(data_variance, color="gray", linestyle=":", label="minimum, var(x)")
    theta_axis.axhline(0.0, color="gray", linestyle=":", label="θ* = 0")
    mse_axis.set_yscale("log")
    mse_axis.set_ylabel("mse over all points, mean (x − θ)²")
    theta_axis.set_ylabel("θ")
    for axis in (mse_axis, theta_axis):
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
    mse_axis.legend(fontsize="small")
    theta_axis.legend(fontsize="small")
    return _save(figure, path)


def plot_trajectories(panels, path):
    """Optimizer paths over the contours of 2-D surfaces, one panel per surface.

    Args:
        panels: list of dicts with `title`, `grid` (X, Y, Z arrays for the
            contours) and `paths` (label -> (steps + 1, 2) array).
        path: str. The PNG file to write.
    """
    figure, axes = _figure(width=5.5 * len(panels), height=4.8, columns=len(panels))
    for axis, panel in zip(axes, panels):
        X, Y, Z = panel["grid"]
        axis.contour(X, Y, Z, levels=panel.get("levels", 25), cmap="Greys", linewidths=0.7)
        for label, points in panel["paths"].items():
            axis.plot(points[:, 0], points[:, 1], marker=".", markersize=2.5, linewidth=1.0, label=label)
        axis.plot(*panel["paths"][next(iter(panel["paths"]))][0], "k*", markersize=10)
        axis.set_xlim(X.min(), X.max())
        axis.set_ylim(Y.min(), Y.max())
        axis.set_title(panel["title"], fontsize="medium")
        axis.set_xlabel("x")
        axis.set_ylabel("y")
        axis.legend(fontsize="small", loc=panel.get("legend", "best"))
    return _save(figure, path)


def plot_loss_curves(curves, path, title=None):
    """Training and validation loss against the step, one colour per run.

    Args:
        curves: dict label -> dict with `steps`, `loss` and optionally
            `val_loss` (equal-length lists).
        path: str. The PNG file to write.
    """
    figure, (axis,) = _figure(width=7.5, height=4.5)
    for index, (label, curve) in enumerate(curves.items()):
        color = f"C{index}"
        axis.plot(curve["steps"], curve["loss"], color=color, label=label)
        if curve.get("val_loss"):
            axis.plot(curve["steps"], curve["val_loss"], color=color, linestyle="--")
    # One legend entry per run; the line style says train or validation.
    axis.plot([], [], color="black", label="solid: train, mean over the epoch")
    axis.plot([], [], color="black", linestyle="--", label="dashed: validation")
    axis.set_xlabel("optimizer step")
    axis.set_ylabel("loss, nats per character")
    axis.set_title(title or "")
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")
    return _save(figure, path)
