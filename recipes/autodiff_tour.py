"""An autodiff tour: forward and reverse mode, finite differences, Jacobian cost.

1. The lectures' f(x1, x2) = ln x1 + x1·x2 − sin x2 at (2, 5): the forward
   primal and tangent trace (v_-1 … v_5 and their dots, seed ẋ = (1, 0)),
   computed by forward-mode AD (`tf.autodiff.ForwardAccumulator`), ending at
   y = 11.652 and ẏ = 5.5, and checked against reverse mode (`tf.GradientTape`).
2. The error of forward and central finite differences of ∂f/∂x1 against the
   AD value, for step sizes h = 1e-1 … 1e-15 (float64): truncation error falls
   with h, round-off error grows as 1/h. Plotted to
   docs/images/autodiff_finite_differences.png.
3. The cost of a full Jacobian of f: R^N → R^M, f(x) = B tanh(A x), by
   forward mode (N Jacobian-vector products, one per input) and by reverse
   mode (M vector-Jacobian products, one per output), timed as N and M vary.

This is a recipe, not model code, so it uses TensorFlow directly; it imports
TensorFlow only when a function runs.

    python recipes/autodiff_tour.py
"""

import argparse
import dataclasses
import os
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURE = os.path.join(ROOT, "docs", "images", "autodiff_finite_differences.png")
POINT = (2.0, 5.0)
JACOBIAN_SHAPES = ((1000, 1), (1000, 10), (100, 100), (10, 1000), (1, 1000))


def f_numpy(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


@dataclasses.dataclass
class TraceRow:
    name: str
    primal: str
    value: float
    tangent: str
    tangent_value: float


def forward_trace(x1=POINT[0], x2=POINT[1], seed=(1.0, 0.0)):
    """The forward primal and tangent trace of f, with the tangents from `ForwardAccumulator`.

    Returns:
        list of `TraceRow`, v_-1 … v_5 and then y.
    """
    import tensorflow as tf

    primals = [tf.constant(x1, tf.float64), tf.constant(x2, tf.float64)]
    tangents = [tf.constant(s, tf.float64) for s in seed]
    with tf.autodiff.ForwardAccumulator(primals, tangents) as accumulator:
        v = {-1: primals[0], 0: primals[1]}
        v[1] = tf.math.log(v[-1])
        v[2] = v[-1] * v[0]
        v[3] = tf.sin(v[0])
        v[4] = v[1] + v[2]
        v[5] = v[4] - v[3]
    steps = [
        (-1, "x1", "ẋ1"),
        (0, "x2", "ẋ2"),
        (1, "ln v_-1", "v̇_-1 / v_-1"),
        (2, "v_-1 × v_0", "v̇_-1 × v_0 + v_-1 × v̇_0"),
        (3, "sin v_0", "v̇_0 × cos v_0"),
        (4, "v_1 + v_2", "v̇_1 + v̇_2"),
        (5, "v_4 − v_3", "v̇_4 − v̇_3"),
    ]
    rows = [
        TraceRow(f"v_{i}", primal, float(v[i]), tangent, float(accumulator.jvp(v[i])))
        for i, primal, tangent in steps
    ]
    rows.append(TraceRow("y", "v_5", rows[-1].value, "v̇_5", rows[-1].tangent_value))
    return rows


def reverse_gradient(x1=POINT[0], x2=POINT[1]):
    """(y, ∂y/∂x1, ∂y/∂x2) by reverse mode, `tf.GradientTape`."""
    import tensorflow as tf

    xs = [tf.constant(x1, tf.float64), tf.constant(x2, tf.float64)]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = tf.math.log(xs[0]) + xs[0] * xs[1] - tf.sin(xs[1])
    grads = tape.gradient(y, xs)
    return float(y), float(grads[0]), float(grads[1])


def format_trace(rows):
    lines = [
        "| forward primal trace | | value | forward tangent trace | | value |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        dot = "ẏ" if row.name == "y" else row.name.replace("v_", "v̇_")
        lines.append(
            f"| {row.name} | = {row.primal} | {row.value:.3f} | {dot} | = {row.tangent} | {row.tangent_value:.3f} |"
        )
    return "\n".join(lines)


def finite_difference_errors(step_sizes, x1=POINT[0], x2=POINT[1]):
    """Absolute errors of forward and central differences of ∂f/∂x1 against reverse-mode AD.

    Returns:
        (exact, forward_errors, central_errors), float64.
    """
    h = np.asarray(step_sizes, dtype="float64")
    exact = reverse_gradient(x1, x2)[1]
    forward = (f_numpy(x1 + h, x2) - f_numpy(x1, x2)) / h
    central = (f_numpy(x1 + h, x2) - f_numpy(x1 - h, x2)) / (2 * h)
    return exact, np.abs(forward - exact), np.abs(central - exact)


def plot_finite_differences(path, step_sizes=None):
    from matplotlib.figure import Figure

    step_sizes = np.logspace(-15, -1, 57) if step_sizes is None else step_sizes
    exact, forward, central = finite_difference_errors(step_sizes)
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    axis = figure.subplots()
    # A zero error cannot be drawn on log axes; floor it at the float64 resolution.
    floor = np.finfo("float64").eps * abs(exact)
    axis.loglog(step_sizes, np.maximum(forward, floor), marker=".", label="forward difference (f(x+h) − f(x))/h")
    axis.loglog(step_sizes, np.maximum(central, floor), marker=".", label="central difference (f(x+h) − f(x−h))/2h")
    axis.set_xlabel("step size h")
    axis.set_ylabel(f"abs error against AD, ∂f/∂x1 = {exact:g}")
    axis.set_title("f = ln x1 + x1·x2 − sin x2 at (2, 5), float64")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize="small")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=110)
    return step_sizes, forward, central


def make_function(n, m, hidden=64, seed=0):
    """f: R^n → R^m, f(x) = B tanh(A x), with fixed random A (hidden×n) and B (m×hidden)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    a = tf.constant(rng.normal(size=(hidden, n)) / np.sqrt(n), tf.float32)
    b = tf.constant(rng.normal(size=(m, hidden)) / np.sqrt(hidden), tf.float32)

    def f(x):
        return tf.linalg.matvec(b, tf.tanh(tf.linalg.matvec(a, x)))

    return f


def jacobians(f, n, m):
    """Two ways to the (m, n) Jacobian: forward mode, one JVP per input; reverse mode, one VJP per output.

    Returns:
        dict with callables `forward` and `reverse`, each giving (jacobian, passes).
    """
    import tensorflow as tf

    @tf.function
    def jvp(x, tangent):
        with tf.autodiff.ForwardAccumulator(x, tangent) as accumulator:
            y = f(x)
        return accumulator.jvp(y)

    @tf.function
    def vjp(x, cotangent):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x, output_gradients=cotangent)

    inputs, outputs = tf.eye(n), tf.eye(m)

    def forward(x):
        columns = [jvp(x, inputs[i]) for i in range(n)]
        return tf.stack(columns, axis=1).numpy(), n

    def reverse(x):
        rows = [vjp(x, outputs[j]) for j in range(m)]
        return tf.stack(rows, axis=0).numpy(), m

    return {"forward": forward, "reverse": reverse}


def jacobian_costs(shapes=JACOBIAN_SHAPES, repeats=3):
    """Times both Jacobian methods on each (N, M); each time is the best of `repeats` runs.

    Returns:
        list of dicts with n, m, passes and seconds for both modes, and the
        largest difference between the two Jacobians.
    """
    import tensorflow as tf

    rows = []
    for n, m in shapes:
        f = make_function(n, m)
        x = tf.constant(np.random.default_rng(1).normal(size=n), tf.float32)
        methods = jacobians(f, n, m)
        row = {"n": n, "m": m}
        results = {}
        for mode, method in methods.items():
            results[mode] = method(x)  # the first call traces the tf.function
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                method(x)
                times.append(time.perf_counter() - start)
            row[f"{mode}_passes"] = results[mode][1]
            row[f"{mode}_s"] = min(times)
        row["max_difference"] = float(np.abs(results["forward"][0] - results["reverse"][0]).max())
        rows.append(row)
    return rows


def format_costs(rows):
    lines = [
        "| N (inputs) | M (outputs) | forward passes | reverse passes | forward (ms) | reverse (ms) | faster |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ratio = row["forward_s"] / row["reverse_s"]
        # Within 20% the timing noise of a shared machine decides, so call it even.
        faster = "about even" if 1 / 1.2 < ratio < 1.2 else ("forward" if ratio < 1 else "reverse")
        lines.append(
            f"| {row['n']} | {row['m']} | {row['forward_passes']} | {row['reverse_passes']} | "
            f"{row['forward_s'] * 1e3:.1f} | {row['reverse_s'] * 1e3:.1f} | {faster} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=FIGURE)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    rows = forward_trace()
    print("1. Forward-mode trace of f(x1, x2) = ln x1 + x1·x2 − sin x2 at (2, 5), seed ẋ = (1, 0)\n")
    print(format_trace(rows))
    y, dy_dx1, dy_dx2 = reverse_gradient()
    print(f"\nreverse mode (GradientTape): y = {y:.3f}, ∂y/∂x1 = {dy_dx1:.6f}, ∂y/∂x2 = {dy_dx2:.6f}")
    print(f"forward mode, seed (1, 0): ẏ = {rows[-1].tangent_value:.6f}; "
          f"seed (0, 1): ẏ = {forward_trace(seed=(0.0, 1.0))[-1].tangent_value:.6f}")

    step_sizes, forward, central = plot_finite_differences(args.output)
    best_f, best_c = int(np.argmin(forward)), int(np.argmin(central))
    print(f"\n2. Finite differences against AD: wrote {args.output}")
    print(f"forward difference: smallest error {forward[best_f]:.1e} at h = {step_sizes[best_f]:.0e}; "
          f"central: {central[best_c]:.1e} at h = {step_sizes[best_c]:.0e}")

    print("\n3. Cost of the full Jacobian of f: R^N → R^M, f(x) = B tanh(A x), hidden width 64\n")
    costs = jacobian_costs(repeats=args.repeats)
    print(format_costs(costs))
    print(f"\nlargest forward/reverse Jacobian difference: {max(r['max_difference'] for r in costs):.1e}")


if __name__ == "__main__":
    main()
