"""`kerazoo serve` captions images sent as TF Serving's {"b64": ...}, and refuses bad ones without falling over."""

import base64
import io

import httpx
import numpy as np
import pytest
from PIL import Image

from kerazoo import build_captioner
from kerazoo.export import export_saved_model
from kerazoo.models.captioner.captioner_evaluation import caption
from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary
from tests.serving.server import ServerThread
from tests.test_case import randomize_weights

VOCABULARY = CaptionVocabulary.from_grammar()


def png(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return {"b64": base64.b64encode(buffer.getvalue()).decode("ascii")}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    model = build_captioner(VOCABULARY.size, embedding_dim=6, units=12, filters=[4, 6, 8], feature_dim=8,
                            image_size=16, max_sequence_length=10)
    model({"images": np.zeros((1, 16, 16, 3), "float32"), "decoder_token_ids": np.ones((1, 2), "int32")})
    randomize_weights(model, seed=12, scale=0.7)
    base = str(tmp_path_factory.mktemp("models"))
    export_saved_model(model, VOCABULARY, "shapes", base_dir=base)
    with ServerThread(base) as server:
        yield model, server


def predict(server, body):
    return httpx.post(f"{server.url}/v1/models/shapes:predict", json=body, timeout=60)


def test_a_served_caption_equals_the_python_api(served):
    model, server = served
    images = [np.random.default_rng(i).integers(0, 256, (16, 16, 3), dtype=np.uint8) for i in range(2)]
    response = predict(server, {"signature_name": "caption", "instances": [{"image": png(i)} for i in images]})
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [p["caption"] for p in predictions] == caption(model, VOCABULARY, np.stack(images))
    assert np.asarray(predictions[0]["attention"]).shape == (9, 4, 4)
    columnar = predict(server, {"signature_name": "caption_beam", "inputs": {"image": [png(images[0])]}})
    assert columnar.json()["outputs"]["caption"] == caption(model, VOCABULARY, images[0], beam_width=3)


@pytest.mark.parametrize("image, message", [
    ({"b64": base64.b64encode(b"plain text, not an image").decode()}, "must hold PNG or JPEG bytes"),
    ("not base64 at all", "must hold PNG or JPEG bytes"),
    ({"b64": "!!!"}, "valid base64"),
])
def test_bad_images_get_a_clear_400_and_the_server_goes_on(served, image, message):
    model, server = served
    response = predict(server, {"signature_name": "caption", "instances": [{"image": image}]})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert "Traceback" not in response.text
    good = predict(server, {"signature_name": "caption",
                            "instances": [{"image": png(np.zeros((16, 16, 3), np.uint8))}]})
    assert good.status_code == 200


def test_an_empty_batch_is_refused(served):
    _, server = served
    response = predict(server, {"signature_name": "caption", "inputs": {"image": []}})
    assert response.status_code == 400
    assert "image" in response.json()["error"]
