"""The captioner's SavedModel: PNG or JPEG bytes in, the Python API's caption out, bad images refused clearly."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from kerazoo import build_captioner
from kerazoo.export import export_saved_model
from kerazoo.models.captioner.captioner_evaluation import caption
from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary
from tests.test_case import randomize_weights
from tests.test_case import served_without_kerazoo

VOCABULARY = CaptionVocabulary.from_grammar()


def encoded(array, kind="PNG", mode=None):
    buffer = io.BytesIO()
    image = Image.fromarray(array)
    if mode:
        image = image.convert(mode)
    image.save(buffer, kind)
    return buffer.getvalue()


IMAGES = [np.random.default_rng(i).integers(0, 256, (16, 16, 3), dtype=np.uint8) for i in range(3)]

SERVE = r"""
import base64, json, sys
import tensorflow as tf
with open(INPUTS) as f:
    inputs = json.load(f)
loaded = tf.saved_model.load(inputs["path"])
images = [base64.b64decode(b) for b in inputs["images"]]
out = {"signatures": sorted(loaded.signatures.keys())}
for name in ("caption", "caption_beam"):
    result = loaded.signatures[name](image=tf.constant(images))
    out[name] = [c.decode("utf-8") for c in result["caption"].numpy()]
    out[name + "_words"] = [[w.decode("utf-8") for w in row] for row in result["words"].numpy()]
    out[name + "_attention"] = result["attention"].numpy().tolist()
errors = {}
for name, batch in inputs["bad"].items():
    try:
        loaded.signatures["caption"](image=tf.constant([base64.b64decode(b) for b in batch], dtype=tf.string))
        errors[name] = None
    except tf.errors.InvalidArgumentError as error:
        errors[name] = error.message
out["errors"] = errors
out["kerazoo_imported"] = any(name.startswith("kerazoo") for name in sys.modules)
print("RESULT" + json.dumps(out))
"""


def b64(data):
    import base64

    return base64.b64encode(data).decode("ascii")


def huge_png_header():
    """A PNG whose header claims 10,000 x 10,000 pixels: refused from the header, never decoded."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 10_000, 10_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + chunk + end


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = build_captioner(VOCABULARY.size, embedding_dim=6, units=12, filters=[4, 6, 8], feature_dim=8,
                            image_size=16, max_sequence_length=10)
    model({"images": np.zeros((1, 16, 16, 3), "float32"), "decoder_token_ids": np.ones((1, 2), "int32")})
    randomize_weights(model, seed=11, scale=0.7)
    path = export_saved_model(model, VOCABULARY, "shapes", base_dir=str(tmp_path_factory.mktemp("sm")), beam_width=2)
    png = encoded(IMAGES[0])
    bad = {"not_an_image": [b64(b"hello, this is text")], "truncated_png": [b64(png[: len(png) // 2])],
           "huge": [b64(huge_png_header())], "empty": []}
    good = [encoded(IMAGES[0]), encoded(IMAGES[1], "JPEG", "RGB"), encoded(IMAGES[2], "PNG", "RGBA")]
    inputs = tmp_path_factory.mktemp("inputs") / "inputs.json"
    inputs.write_text(json.dumps({"path": path, "images": [b64(g) for g in good], "bad": bad}))
    code = SERVE.replace("INPUTS", repr(str(inputs)))
    return model, path, good, served_without_kerazoo(code)


def test_the_served_caption_equals_the_python_api_without_kerazoo(exported):
    from kerazoo.models.captioner.captioner_data import read_images

    model, path, good, served = exported
    assert served["kerazoo_imported"] is False
    assert served["signatures"] == ["caption", "caption_beam", "serving_default"]
    # A 16x16 PNG is the model's size: decoding gives its pixels exactly, so the Python API sees the same input.
    assert served["caption"][0] == caption(model, VOCABULARY, IMAGES[0])[0]
    assert served["caption_beam"][0] == caption(model, VOCABULARY, IMAGES[0], beam_width=2)[0]
    # The JPEG and the RGBA PNG (opaque) are read as the graph reads them.
    import tempfile, os

    folder = tempfile.mkdtemp()
    files = []
    for i, data in enumerate(good):
        files.append(os.path.join(folder, f"{i}.img"))
        with open(files[-1], "wb") as f:
            f.write(data)
    assert served["caption"] == caption(model, VOCABULARY, read_images(files, 16))
    # Words and attention: one map per word, zero past the caption's end, each word's map a distribution.
    for text, words, maps in zip(served["caption"], served["caption_words"], served["caption_attention"]):
        maps = np.asarray(maps)
        assert maps.shape == (9, 4, 4)
        count = len(text.split())
        assert [w for w in words if w] == text.split()
        np.testing.assert_allclose(maps[:count].sum(axis=(1, 2)), 1.0, rtol=1e-4)
        assert np.all(maps[count:] == 0)


def test_bad_images_are_refused_clearly(exported):
    errors = exported[3]["errors"]
    assert "`image` must hold PNG or JPEG bytes" in errors["not_an_image"]
    assert "`image` is truncated" in errors["truncated_png"]
    assert "`image` must be at most 4096x4096 pixels" in errors["huge"]
    assert "`image` must hold at least one image" in errors["empty"]


def test_greyscale_and_transparent_images_are_accepted():
    import tensorflow as tf

    from kerazoo.models.captioner.captioner_export import decode_images

    grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[:8, :, :] = (255, 0, 0, 255)  # top half opaque red, bottom half transparent
    images = decode_images(tf, tf.constant([encoded(grey, mode="L"), encoded(rgba)]), 16, 64).numpy()
    np.testing.assert_allclose(images[0][..., 0], grey / 255.0, atol=1e-6)
    np.testing.assert_allclose(images[0][..., 0], images[0][..., 2])
    np.testing.assert_allclose(images[1][:8], np.broadcast_to([1.0, 0.0, 0.0], (8, 16, 3)))
    np.testing.assert_allclose(images[1][8:], 1.0)  # transparency laid over white


def test_the_cli_captions_files_and_names_a_bad_one(tmp_path, capsys):
    from kerazoo.models.captioner.captioner_data import read_images

    path = tmp_path / "text.png"
    path.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="text.png.*PNG or JPEG"):
        read_images([str(path)], 16)
    with pytest.raises(ValueError, match="missing.png"):
        read_images([str(tmp_path / "missing.png")], 16)
