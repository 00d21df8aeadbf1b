"""The stochastic-optimization lab: the lectures' SGD toy problem and 2-D loss surfaces.

Both run through `model.fit` on a tiny Keras model, so the optimizers,
schedules and clipping are exactly the ones a real model trains with, on
every backend.

The toy problem: data x = −10, −9, …, 10, loss (x_i − θ)², one parameter θ.
The full-data loss is minimised by θ* = mean(x) = 0. With batch 1, SGD's step
is θ ← θ + 2α(x_i − θ):

- α = 0.5 puts θ exactly on the sampled point x_i, so θ bounces forever;
- α_k = 0.5/(1 + k) makes θ the running mean of the points seen so far, so
  after every full pass over the data θ = 0;
- the full-batch gradient with α = 0.5 jumps to the mean, 0, in one step.
"""

import dataclasses

import keras
import numpy as np
from keras import ops

from kerazoo.utils.arguments import check_choice

TOY_DATA = np.arange(-10, 11, dtype="float32")


@keras.saving.register_keras_serializable(package="kerazoo")
class ScalarParameter(keras.layers.Layer):
    """Predicts one trainable scalar θ for every example, whatever the input.

    Args:
        initial_value: float. θ_0. Default 0.0.

    Call arguments:
        inputs: tensor of shape `(batch, 1)`; only its shape is used.
    """

    def __init__(self, initial_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_value = initial_value

    def build(self, input_shape):
        self.theta = self.add_weight(
            shape=(1,), initializer=keras.initializers.Constant(self.initial_value), name="theta"
        )

    def call(self, inputs):
        return ops.zeros_like(inputs) + self.theta

    def get_config(self):
        return {**super().get_config(), "initial_value": self.initial_value}


class _RecordWeights(keras.callbacks.Callback):
    """Keeps the layer's weight vector before training and after every batch."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.values = []

    def _record(self):
        if hasattr(self.model, "jax_state_sync"):
            # The JAX trainer keeps the state outside the variables until told to write it back.
            self.model.jax_state_sync()
        self.values.append(np.array(keras.ops.convert_to_numpy(self.layer.weights[0]), dtype="float64"))

    def on_train_begin(self, logs=None):
        self._record()

    def on_train_batch_end(self, batch, logs=None):
        self._record()


@dataclasses.dataclass
class ToyRun:
    """One run of the toy problem.

    Attributes:
        theta: (steps + 1,) θ before training and after each step.
        mse: (steps + 1,) the full-data loss mean((x − θ)²) at each θ.
        samples: (steps * batch_size,) the points in the order fit saw them.
        batch_size: int.
    """

    theta: np.ndarray
    mse: np.ndarray
    samples: np.ndarray
    batch_size: int


def sgd_toy_problem(optimizer, batch_size=1, epochs=5, theta0=-20.0, seed=0, data=TOY_DATA):
    """Fits θ to the toy data with `model.fit` and records θ after every step.

    Each epoch visits the data once in a fresh random order (sampling without
    replacement). The order is drawn here and fit reads it unshuffled, so the
    point behind each step is known.

    Args:
        optimizer: a Keras optimizer, e.g. `kerazoo.optimizers.get("sgd_inverse_time")`.
        batch_size: int. 1 for SGD, `len(data)` for the full-batch gradient.
        epochs: int. Passes over the data.
        theta0: float. The initial θ. Default −20.
        seed: int. Seed of the visiting order.
        data: 1-D array. Default x = −10, …, 10.

    Returns:
        a `ToyRun`.
    """
    data = np.asarray(data, dtype="float32")
    rng = np.random.default_rng(seed)
    samples = np.concatenate([data[rng.permutation(len(data))] for _ in range(epochs)])
    layer = ScalarParameter(theta0, name="theta")
    model = keras.Sequential([keras.Input((1,)), layer], name="toy_problem")
    # The Keras MSE of one point is (x_i − θ)², the lectures' loss.
    model.compile(optimizer=optimizer, loss="mean_squared_error", jit_compile=False)
    recorder = _RecordWeights(layer)
    column = samples[:, None]
    model.fit(column, column, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
    theta = np.array([value[0] for value in recorder.values])
    mse = ((data[None, :].astype("float64") - theta[:, None]) ** 2).mean(axis=1)
    return ToyRun(theta=theta, mse=mse, samples=samples, batch_size=batch_size)


# Two loss surfaces for comparing optimizers, written with keras.ops.
def saddle(x, y):
    """x² + y⁴/4 − y²/2: a saddle point at (0, 0) between two minima at (0, ±1)."""
    return x**2 + 0.25 * y**4 - 0.5 * y**2


def ill_conditioned_bowl(x, y):
    """(x² + 50 y²)/2: a quadratic bowl whose curvatures differ by a factor 50."""
    return 0.5 * (x**2 + 50.0 * y**2)


SURFACES = {"saddle": saddle, "ill_conditioned_bowl": ill_conditioned_bowl}


@keras.saving.register_keras_serializable(package="kerazoo")
class SurfacePoint(keras.layers.Layer):
    """A point w = (x, y) on a named 2-D surface; it predicts f(w) for every example.

    Args:
        surface: str. A name in `SURFACES`.
        start: (x, y). The initial point.

    Call arguments:
        inputs: tensor of shape `(batch, 1)`; only its shape is used.
    """

    def __init__(self, surface, start=(0.0, 0.0), **kwargs):
        super().__init__(**kwargs)
        check_choice("surface", surface, sorted(SURFACES))
        self.surface = surface
        self.start = tuple(float(v) for v in start)

    def build(self, input_shape):
        self.point = self.add_weight(shape=(2,), initializer=keras.initializers.Constant(self.start), name="point")

    def call(self, inputs):
        return ops.zeros_like(inputs) + SURFACES[self.surface](self.point[0], self.point[1])

    def get_config(self):
        return {**super().get_config(), "surface": self.surface, "start": self.start}


def _prediction_is_the_loss(y_true, y_pred):
    return ops.mean(y_pred, axis=-1)


def surface_trajectory(surface, optimizer, start, steps):
    """Minimises a `SURFACES` function with `optimizer` through `model.fit`.

    Args:
        surface: str. A name in `SURFACES`.
        optimizer: a Keras optimizer.
        start: (x, y). The initial point.
        steps: int. Optimizer steps.

    Returns:
        (steps + 1, 2) array of the points, the start included.
    """
    layer = SurfacePoint(surface, start, name="point")
    model = keras.Sequential([keras.Input((1,)), layer], name=f"{surface}_descent")
    model.compile(optimizer=optimizer, loss=_prediction_is_the_loss, jit_compile=False)
    recorder = _RecordWeights(layer)
    dummy = np.zeros((steps, 1), dtype="float32")
    model.fit(dummy, dummy, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
    return np.stack(recorder.values)


def surface_values(surface, x, y):
    """The surface on NumPy grids, for contour plots."""
    return keras.ops.convert_to_numpy(SURFACES[surface](ops.convert_to_tensor(x), ops.convert_to_tensor(y)))
