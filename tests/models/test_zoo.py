"""The zoo: every shipped preset loads offline, is the trained model its card describes, decodes the same
way every time, and serves from its SavedModel in a process that never imports kerazoo."""

import base64
import importlib.util
import json
import math
import os

import h5py
import keras
import numpy as np
import pytest

from kerazoo.export import export_saved_model
from kerazoo.models.presets import load_preset
from kerazoo.models.presets import preset_folder
from kerazoo.models.presets import shipped_presets
from kerazoo.models.registry import get_family
from tests.test_case import run_python

ZOO = ["shakespeare-lstm", "shakespeare-gru", "shakespeare-rnn-lecture", "shakespeare-gpt", "plays-word2vec",
       "dates-transformer", "dates-lstm", "plays-elmo", "shapes-captioner", "plays-t5", "plays-chat"]
MB = 1e6
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_family_ships_trained_presets_within_the_size_budget():
    shipped = shipped_presets()
    assert set(ZOO) <= set(shipped), sorted(set(ZOO) - set(shipped))
    assert {"char_rnn", "gpt", "word2vec", "transformer", "seq2seq", "elmo"} <= {c["family"] for c in shipped.values()}
    for name, card in shipped.items():
        assert card["size_bytes"] <= 25 * MB, name
    assert sum(card["size_bytes"] for card in shipped.values()) <= 80 * MB


def test_presets_ship_float16_weights_with_figures_measured_after_the_cast():
    for name, card in shipped_presets().items():
        if card.get("weights_dtype") != "float16":
            # A preset too lossy in float16 ships float32, and its card says why.
            assert card.get("weights_note", "").startswith("Kept in float32"), name
            continue
        tolerance = card["check"]["tolerance"]
        for key in ("metric", "check"):
            assert abs(card[key]["value"] - card[key]["value_float32"]) <= tolerance, (name, key)
        with h5py.File(os.path.join(preset_folder(name), "model.weights.h5"), "r") as f:
            dtypes = set()
            # The arrays; a scalar (an optimizer's learning rate) is copied as it is.
            f.visititems(lambda _, item: dtypes.add(item.dtype.kind + str(item.dtype.itemsize))
                         if isinstance(item, h5py.Dataset) and item.ndim else None)
        assert "f4" not in dtypes and "f2" in dtypes, (name, dtypes)


def test_the_zoo_page_is_the_one_the_cards_make():
    """docs/zoo.md is written by recipes/zoo/cards.py from the cards; rerun it after a card changes."""
    spec = importlib.util.spec_from_file_location("zoo_cards", os.path.join(ROOT, "recipes", "zoo", "cards.py"))
    cards = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cards)
    with open(os.path.join(ROOT, "docs", "zoo.md"), encoding="utf-8") as f:
        assert f.read() == cards.render(cards.load_cards()), "run python recipes/zoo/cards.py"


def _trained(kind, value, vocabulary_size):
    """What an untrained model could not reach, for each kind of measure."""
    return {
        "streamed_loss": value < 0.6 * math.log(vocabulary_size),
        "windowed_loss": value < 0.6 * math.log(vocabulary_size),
        "exact_match": value > 0.9,
        "spearman_vs_gensim": value > 0.5,
        "perplexity": value < vocabulary_size / 20,
        "content_accuracy": value > 0.5,
        "span_corruption_loss": value < 0.6 * math.log(vocabulary_size),
    }[kind]


@pytest.mark.parametrize("name", ZOO)
def test_a_preset_is_the_trained_model_its_card_describes(name):
    model, vocabulary, card = load_preset(name)
    family = get_family(card["family"])
    check = card["check"]
    value = family.measure(model, vocabulary, check, folder=preset_folder(name))["value"]
    # The held-out slice gives the figure recorded when the preset was published.
    assert abs(value - check["value"]) <= check["tolerance"], (value, check["value"])
    size = getattr(vocabulary, "size", None) or getattr(vocabulary, "target").size
    assert _trained(check["kind"], value, size)
    assert card["metric"]["value"] == pytest.approx(card["metric"]["value"])  # a number was recorded
    assert {"command", "wall_s", "steps"} <= set(card["training"]) and card["hardware"] and card["kerazoo_version"]


@pytest.mark.parametrize("name", [name for name in ZOO if not name.startswith("plays-") or name == "plays-t5"])
def test_greedy_decoding_gives_the_text_recorded_in_the_card(name):
    model, vocabulary, card = load_preset(name)
    example = get_family(card["family"]).example(model, vocabulary)
    key = "greedy" if "greedy" in example else "output"
    assert example[key] == card["example"][key]


SERVE_ALL = r"""
import base64, json, sys
import tensorflow as tf

requests = json.loads(sys.argv[1])
out = {}
for name, (path, signature, inputs) in requests.items():
    function = tf.saved_model.load(path).signatures[signature]
    # Bytes travel through JSON as base64: "KEY@b64".
    inputs = {key.split("@")[0]: [base64.b64decode(v) for v in value] if key.endswith("@b64") else value
              for key, value in inputs.items()}
    result = function(**{key: tf.constant(value) for key, value in inputs.items()})
    out[name] = {key: (value.numpy().tolist() if value.dtype != tf.string else
                       [v.decode("utf-8") for v in tf.reshape(value, [-1]).numpy()]) for key, value in result.items()}
out["kerazoo_imported"] = any(m.startswith("kerazoo") for m in sys.modules)
print("RESULT" + json.dumps(out))
"""


def _request(family, model, vocabulary):
    """The signature to call, its inputs, and what the Python API gives for them."""
    if "generate" in family.signatures:
        from kerazoo.generation import generate_text

        inputs = {"prompt": ["ROMEO:"], "max_length": 60, "temperature": 0.8, "top_k": 0, "top_p": 0.9, "seed": 4}
        return "generate", inputs, {"text": generate_text(model, vocabulary, ["ROMEO:"], 60, 0.8, 0, 4, 0.9)}
    if "translate" in family.signatures:
        from kerazoo.generation.translate import translate

        sources = ["Saturday, July 20, 1969", "4/5/1821"]
        return "translate", {"source": sources}, {"target": translate(model, vocabulary, sources)}
    if "caption" in family.signatures:
        import io

        from PIL import Image

        from kerazoo.models.captioner import captioner_scenes
        from kerazoo.models.captioner.captioner_evaluation import caption

        scene = captioner_scenes.make_scenes(1, seed=5, split="test")[0]
        buffer = io.BytesIO()
        Image.fromarray(scene["image"]).save(buffer, "PNG")
        image = base64.b64encode(buffer.getvalue()).decode("ascii")
        return "caption", {"image@b64": [image]}, {"caption": caption(model, vocabulary, scene["image"])}
    if "chat" in family.signatures:
        from kerazoo.models.chat.chat_generation import reply

        turns = ["Who's there?", "Nay, answer me: stand, and unfold yourself."]
        inputs = {"turns": turns, "max_length": 40, "temperature": 0.0, "top_k": 0, "top_p": 1.0, "seed": 0}
        return "chat", inputs, {"reply": [reply(model, vocabulary, turns).text]}
    if "most_similar" in family.signatures:
        vectors = family.serving_model(model, vocabulary)
        return "most_similar", {"word": "king", "topn": 5}, {"words": [w for w, _ in vectors.most_similar("king", topn=5)]}
    embedder = family.serving_model(model, vocabulary)
    sentences = ["But soft , what light through yonder window breaks ?"]
    return "embed", {"sentences": sentences}, {"default": embedder.embed(sentences)["default"].tolist()}


# Every preset but two of the three char RNNs, whose SavedModels differ from shakespeare-lstm's only in the cell
# (the same family, the same signatures; each of the three is measured against its card above).
SERVED = [name for name in ZOO if name not in ("shakespeare-gru", "shakespeare-rnn-lecture")]


def test_every_preset_serves_from_its_saved_model_without_kerazoo(tmp_path):
    requests, expected = {}, {}
    for name in SERVED:
        model, vocabulary, card = load_preset(name)
        family = get_family(card["family"])
        path = export_saved_model(model, vocabulary, name, base_dir=str(tmp_path), family=family)
        signature, inputs, outputs = _request(family, model, vocabulary)
        requests[name], expected[name] = (path, signature, inputs), outputs
        keras.backend.clear_session()
    code = SERVE_ALL.replace("json.loads(sys.argv[1])", repr(json.dumps(requests)).join(["json.loads(", ")"]))
    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"}, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    served = json.loads(process.stdout.split("RESULT")[-1])
    assert served["kerazoo_imported"] is False
    for name, outputs in expected.items():
        for key, value in outputs.items():
            if key == "default":
                np.testing.assert_allclose(served[name][key], value, atol=1e-4, err_msg=name)
            else:
                assert served[name][key] == value, name
