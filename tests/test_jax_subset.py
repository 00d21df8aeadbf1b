"""The subset CI runs on the JAX backend: every family fits, generates and saves `.keras`.

tests/test_backends.py runs this module under `KERAS_BACKEND=jax python -m pytest -q -m jax`
(and under torch when torch is installed), then loads the files it wrote on TensorFlow.
On the TensorFlow backend the module is skipped: the TensorFlow side of the same checks is
that cross-backend test. `KERAZOO_BACKEND_ARTIFACTS` names the folder the files go to.
"""

import json
import os

import keras
import numpy as np
import pytest

from tests.backend_cases import CASE_NAMES
from tests.backend_cases import get_case
from tests.backend_cases import logits
from tests.backend_cases import train_and_save

pytestmark = [
    pytest.mark.jax,
    pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="runs on TensorFlow through tests/test_backends.py"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = os.environ.get("KERAZOO_BACKEND_ARTIFACTS") or str(tmp_path_factory.mktemp("trained"))
    losses = train_and_save(folder)
    with open(os.path.join(folder, "losses.json"), "w", encoding="utf-8") as f:
        json.dump({"backend": keras.backend.backend(), "losses": losses}, f)
    return folder, losses


@pytest.mark.parametrize("name", CASE_NAMES)
def test_fit_steps_lower_the_loss(trained, name):
    _, losses = trained
    assert losses[name][-1] < losses[name][0], losses[name]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_keras_file_reloads_with_the_same_logits(trained, name):
    folder, _ = trained
    case = get_case(name)
    saved = np.load(os.path.join(folder, f"{name}.npz"))
    restored = keras.saving.load_model(os.path.join(folder, f"{name}.keras"))
    np.testing.assert_allclose(logits(restored, case, case.vocabulary()), saved["after"], atol=1e-6)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_greedy_generation_extends_every_input(trained, name):
    folder, _ = trained
    if get_case(name).generate is None:
        pytest.skip(f"{name} does not generate")
    texts = json.loads(str(np.load(os.path.join(folder, f"{name}.npz"))["text"]))
    assert len(texts) == 2 and all(isinstance(text, str) for text in texts)
    if name in ("transformer", "seq2seq_lstm"):
        assert all(len(text) <= 6 for text in texts)
    elif name in ("captioner", "caption_transformer", "chat_transformer", "chat_lstm"):
        # Captions and replies of at most 6 units (a reply's marks are units too, so count loosely).
        assert all(len(text.split()) <= 6 for text in texts)
    else:
        assert texts[0].startswith("ROMEO:") and len(texts[0]) == len("ROMEO:") + 8
