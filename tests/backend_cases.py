"""One tiny case per model, taken from the registry of families, for the backend checks (tests/test_backends.py).

Every registered family declares its tiny configuration (`Family.tiny_cases`):
the JAX subset, the cross-backend agreement test and the train-on-JAX,
serve-on-TensorFlow test all loop over `CASES`, so a new family joins every
backend check by being registered.

A case holds builders, not objects, so each backend process makes its own
model from the same recipe. Inputs and targets are fixed NumPy arrays.
"""

import dataclasses
from typing import Callable
from typing import Optional

import numpy as np


@dataclasses.dataclass(frozen=True)
class Case:
    """A family in its tiny configuration.

    Attributes:
        name: str. The family's name in test ids and file names.
        vocabulary: callable returning the vocabulary the model was built for.
        build: callable(vocabulary) returning an unbuilt `keras.Model`.
        inputs: callable(vocabulary) returning the model's input (array or dict).
        targets: callable(vocabulary) returning the labels for `fit`, or None
            for a model that computes its own loss.
        generate: callable(model, vocabulary) returning the greedy, deterministic
            text the family's generator makes, or None for a family that does not generate.
        loss: str or None. A `keras.losses` name the fit step uses; None for a
            model whose `compute_loss` holds its loss (word2vec's negative sampling).
        export: bool. Whether `kerazoo.export.export_saved_model` serves this family.
    """

    name: str
    vocabulary: Callable
    build: Callable
    inputs: Callable
    targets: Callable
    generate: Optional[Callable] = None
    loss: Optional[str] = "sparse_categorical_crossentropy_from_logits"
    export: bool = True


def _from_registry():
    """Every registered family's tiny cases (`Family.tiny_cases`), as `Case`s."""
    from kerazoo.models.registry import FAMILIES

    return [
        Case(
            tiny.name, vocabulary=tiny.vocabulary, build=tiny.build, inputs=tiny.inputs, targets=tiny.targets,
            generate=tiny.output, loss=tiny.loss, export=tiny.exports_logits,
        )
        for family in FAMILIES
        for tiny in family.tiny_cases()
    ]


# A family joins every backend check by declaring its tiny cases; nothing to add here.
CASES = _from_registry()
CASE_NAMES = [case.name for case in CASES]


def get_case(name):
    return next(case for case in CASES if case.name == name)


def make_model(case, seed=0):
    """The case's model, built and given fixed non-trivial weights from `seed`."""
    import keras

    from tests.test_case import randomize_weights

    keras.utils.set_random_seed(seed)
    vocabulary = case.vocabulary()
    model = case.build(vocabulary)
    model(case.inputs(vocabulary))
    return randomize_weights(model, seed=seed, scale=0.3), vocabulary


def compile_for_case(model, case, learning_rate=0.05):
    import keras

    if case.loss == "sparse_categorical_crossentropy_from_logits":
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        loss = case.loss and keras.losses.get(case.loss)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


def logits(model, case, vocabulary):
    import keras

    outputs = model(case.inputs(vocabulary), training=False)
    if isinstance(outputs, dict):  # ELMo: the forward and backward states, side by side
        return np.concatenate([keras.ops.convert_to_numpy(outputs[k]) for k in sorted(outputs)], axis=-1)
    return keras.ops.convert_to_numpy(outputs)


def train_and_save(folder, names=None, steps=3):
    """Trains each case a few full-batch steps on this backend and writes, per case,
    `<name>.keras`, and `<name>.npz` with the logits before and after training and the
    generated text. Returns the dict of losses per case."""
    import json
    import os

    losses = {}
    for case in CASES:
        if names is not None and case.name not in names:
            continue
        model, vocabulary = make_model(case)
        before = logits(model, case, vocabulary)
        compile_for_case(model, case)
        x, y = case.inputs(vocabulary), case.targets(vocabulary)
        rows = len(next(iter(x.values())) if isinstance(x, dict) else x)
        history = model.fit(x, y, batch_size=rows, epochs=steps, verbose=0, shuffle=False)
        losses[case.name] = history.history["loss"]
        model.save(os.path.join(folder, f"{case.name}.keras"))
        text = case.generate(model, vocabulary) if case.generate else None
        np.savez(os.path.join(folder, f"{case.name}.npz"), before=before, after=logits(model, case, vocabulary),
                 text=json.dumps(text))
    return losses
