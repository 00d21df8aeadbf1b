"""No behaviour change: a SavedModel exported today equals the one exported before the family-folder refactor.

`before_refactor/<case>/` holds a tiny model of five families (`model.keras`, its vocabulary) and the
SavedModel that the code of commit d3e42d9 exported from it (`make.py` wrote them). Each test exports the
same model with today's code and calls every signature of both SavedModels on the same inputs.
"""

import json
import os

import keras
import numpy as np
import pytest

from kerazoo.export import export_saved_model
from kerazoo.models.registry import get_family

HERE = os.path.join(os.path.dirname(__file__), "before_refactor")
CASES = ["gpt", "lstm", "transformer", "elmo", "word2vec"]

# One fixed value for each input name any of these signatures takes.
STRINGS = {
    "prompt": ["ROMEO:", "O"],
    "source": ["3 March 1998", "1/1/2000"],
    "sentences": ["the king", "a queen of the night"],
    "words": ["king", "unknownword", "sword"],
    "word": "king",
}
SCALARS = {"max_length": ("int32", 8), "temperature": ("float32", 0.8), "top_k": ("int32", 0),
           "top_p": ("float32", 0.9), "seed": ("int32", 1), "topn": ("int32", 3)}


def _inputs(tf, function):
    inputs = {}
    for name, spec in function.structured_input_signature[1].items():
        shape = [2 if size is None else size for size in spec.shape.as_list()]
        if name in STRINGS:
            inputs[name] = tf.constant(STRINGS[name])
        elif name in SCALARS:
            inputs[name] = tf.constant(SCALARS[name][1], dtype=SCALARS[name][0])
        elif name.startswith("state"):
            inputs[name] = tf.zeros(shape, spec.dtype)
        elif name == "token_characters":
            shape[1] = 3
            inputs[name] = tf.constant(np.random.default_rng(0).integers(1, 259, shape), tf.int32)
        else:  # token ids of any kind: small ids every vocabulary has
            shape[1] = 5
            inputs[name] = tf.constant(np.arange(np.prod(shape)).reshape(shape) % 3 + 1, tf.int32)
    return inputs


@pytest.mark.parametrize("case", CASES)
def test_a_saved_model_exported_now_gives_the_outputs_of_one_exported_before_the_refactor(case, tmp_path):
    import tensorflow as tf

    folder = os.path.join(HERE, case)
    before_path = os.path.join(folder, "saved_model", "1")
    with open(os.path.join(before_path, "assets", "kerazoo.json"), encoding="utf-8") as f:
        family = get_family(json.load(f)["family"])
    vocabulary_path = os.path.join(folder, "vocabulary.json")
    vocabulary = family.load_vocabulary(vocabulary_path) if os.path.exists(vocabulary_path) else None
    model = keras.saving.load_model(os.path.join(folder, "model.keras"))
    after_path = export_saved_model(model, vocabulary, case, base_dir=str(tmp_path), family=family)

    before, after = tf.saved_model.load(before_path).signatures, tf.saved_model.load(after_path).signatures
    assert sorted(after) == sorted(before)
    for name in sorted(before):
        inputs = _inputs(tf, before[name])
        expected, actual = before[name](**inputs), after[name](**inputs)
        assert sorted(actual) == sorted(expected), name
        for key in expected:
            if expected[key].dtype == tf.string:
                assert actual[key].numpy().tolist() == expected[key].numpy().tolist(), (name, key)
            else:
                np.testing.assert_allclose(actual[key].numpy(), expected[key].numpy(), atol=1e-6,
                                           err_msg=f"{case}: {name}/{key}")
