"""A family is one folder: this one lives in the tests, brings its own vocabulary type and its own SavedModel
signature (no shared builder), registers with one line, and trains, exports and serves through the shared
runner, exporter and server with no edit to kerazoo."""

import json
import os

import httpx
import keras
import numpy as np
import pytest

from kerazoo.cli import main
from kerazoo.models.registry import register_family
from kerazoo.models.registry import unregister_family
from kerazoo.training import load_run
from tests.models.toy_family.byte_unigram_family import ByteUnigramFamily
from tests.models.toy_family.byte_unigram_vocabulary import ByteVocabulary
from tests.serving.server import ServerThread

TEXT = "aaaa bbb cc d " * 200  # four letters at 4:3:2:1, and spaces


@pytest.fixture
def byte_family():
    family = register_family(ByteUnigramFamily())  # the one line that adds a family
    yield family
    unregister_family(family.name)


def _log_likelihood(model, text):
    logits = keras.ops.convert_to_numpy(model(np.zeros((1, 1), "int32")))[0, 0]
    log_probs = logits - np.log(np.sum(np.exp(logits - logits.max()))) - logits.max()
    return float(np.sum(log_probs[ByteVocabulary().encode(text)]))


def test_a_family_with_its_own_vocabulary_and_signature_trains_exports_and_serves(byte_family, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    run = str(tmp_path / "run")
    assert main(["train", "byte_unigram", "--corpus", str(corpus), "--output", run, "--epochs", "3"]) == 0

    # The run's vocabulary is the family's own type, loaded through the family.
    model, vocabulary = load_run(run)
    assert isinstance(vocabulary, ByteVocabulary)
    # It learned the corpus's byte frequencies: 'a' is likelier than 'd', a byte never seen least likely.
    assert _log_likelihood(model, "a") > _log_likelihood(model, "d") > _log_likelihood(model, "z")

    base = str(tmp_path / "saved_models")
    assert main(["export", run, "--name", "bytes", "--base-dir", base]) == 0
    path = os.path.join(base, "bytes", "1")
    with open(os.path.join(path, "assets", "kerazoo.json"), encoding="utf-8") as f:
        info = json.load(f)
    assert info["family"] == "byte_unigram" and info["signatures"] == ["score"]

    texts = ["abc", "dd d"]
    with ServerThread(base) as server:
        response = httpx.post(f"{server.url}/v1/models/bytes:predict", timeout=60,
                              json={"signature_name": "score", "inputs": {"text": texts}})
        metadata = httpx.get(f"{server.url}/v1/models/bytes/metadata", timeout=60).json()
    assert response.status_code == 200, response.text
    served = response.json()["outputs"]
    np.testing.assert_allclose(served, [_log_likelihood(model, text) for text in texts], rtol=1e-5)
    signatures = metadata["metadata"]["signature_def"]["signature_def"]
    assert [name for name in signatures if not name.startswith("__")] == ["score"]
