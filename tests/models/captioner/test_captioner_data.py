"""The shapes scenes: drawn deterministically, captioned by the grammar, read back, split compositionally."""

import numpy as np
import pytest

from kerazoo.models.captioner import captioner_scenes as scenes
from kerazoo.models.captioner.captioner_evaluation import bleu4
from kerazoo.models.captioner.captioner_evaluation import box_share
from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary


def test_scenes_are_deterministic_from_their_seed():
    first, again, other = scenes.make_scenes(5, 0), scenes.make_scenes(5, 0), scenes.make_scenes(5, 1)
    assert all(np.array_equal(a["image"], b["image"]) and a["captions"] == b["captions"] for a, b in zip(first, again))
    assert not all(np.array_equal(a["image"], b["image"]) for a, b in zip(first, other))
    # The first N scenes of a split do not depend on how many are drawn.
    assert np.array_equal(scenes.make_scenes(2, 0)[1]["image"], first[1]["image"])


def test_every_caption_names_its_scene_and_reads_back():
    for scene in scenes.make_scenes(200, 3):
        assert 1 <= len(scene["objects"]) <= 3
        assert scene["image"].shape == (64, 64, 3) and scene["image"].dtype == np.uint8
        for caption in scene["captions"]:
            assert scenes.content_correct(caption, scene["objects"]), caption
        for obj in scene["objects"]:
            x0, y0, x1, y1 = obj["box"]
            assert 0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 64
            # The box holds the object's colour: its pixels there are near the colour's prototype.
            patch = scene["image"][y0:y1, x0:x1].reshape(-1, 3).astype(float)
            distance = np.linalg.norm(patch - np.array(scenes.COLOURS[obj["colour"]]), axis=1)
            assert (distance < 60).mean() > 0.15


def test_the_grammar_and_the_parser_on_a_fixed_scene():
    red = {"shape": "circle", "colour": "red", "size": "small", "center": (10.0, 30.0)}
    blue = {"shape": "square", "colour": "blue", "size": "large", "center": (45.0, 32.0)}
    captions = scenes.all_captions([red, blue])
    assert "a small red circle to the left of a large blue square" in captions
    assert "there is a large blue square right of a small red circle" in captions
    assert scenes.parse_caption("a small red circle to the left of a large blue square") == (
        [("small", "red", "circle"), ("large", "blue", "square")], [(0, "left", 1)])
    assert scenes.content_correct("a small red circle left of a large blue square", [red, blue])
    assert not scenes.content_correct("a small red circle right of a large blue square", [red, blue])
    assert not scenes.content_correct("a small green circle left of a large blue square", [red, blue])
    assert not scenes.content_correct("a small red circle", [red, blue])
    assert not scenes.content_correct("a small red circle left of", [red, blue])
    assert scenes.parse_caption("the the the") is None
    green = {"shape": "cross", "colour": "green", "size": "small", "center": (45.0, 5.0)}
    three = "a small red circle left of a large blue square and a small green cross above it"
    assert scenes.content_correct(three, [red, blue, green])
    assert scenes.object_word_positions(three, [red, blue, green]) == [
        (2, 0), (3, 0), (8, 1), (9, 1), (13, 2), (14, 2)]


def test_the_compositional_split_holds_exactly_the_held_out_pairs():
    held = set(scenes.HELD_OUT_PAIRS)
    assert len({shape for _, shape in held}) >= 4 and len({colour for colour, _ in held}) == 6
    for split in ("train", "validation", "test"):
        for scene in scenes.make_scenes(300, 0, split):
            assert not any((o["colour"], o["shape"]) in held for o in scene["objects"])
    for scene in scenes.make_scenes(100, 0, "compositional"):
        assert any((o["colour"], o["shape"]) in held for o in scene["objects"])


def test_the_vocabulary_encodes_and_decodes_captions():
    vocabulary = CaptionVocabulary.from_grammar()
    inputs, targets = vocabulary.encode_batch(["a small red circle"], 6)
    words = [vocabulary.tokens[i] for i in targets[0][:5]]
    assert words == ["a", "small", "red", "circle", "<end>"]
    assert inputs[0][0] == vocabulary.start_id and list(inputs[0][1:5]) == list(targets[0][:4])
    assert vocabulary.decode(targets[0]) == "a small red circle"
    assert vocabulary.encode("a zebra") == [vocabulary.tokens.index("a"), 0]
    with pytest.raises(ValueError, match="length"):
        vocabulary.encode_batch(["a small red circle"], 4)


def test_bleu_and_pointing_measures():
    references = [["a small red circle", "there is a small red circle"]]
    assert bleu4(["there is a small red circle"], references) == pytest.approx(1.0)
    assert bleu4(["a large blue square left of it"], references) < 0.1
    uniform = np.full((1, 8, 8), 1 / 64)
    # A uniform map puts the box's share of the image's area inside the box (pixels), or of the cells it touches.
    assert box_share(uniform, [0, 0, 32, 16], 64, cells=False)[0] == pytest.approx(0.125)
    assert box_share(uniform, [0, 0, 33, 16], 64)[0] == pytest.approx(10 / 64)
    peaked = np.zeros((1, 8, 8))
    peaked[0, 2, 5] = 1.0  # the cell covering pixels x 40..48, y 16..24
    assert box_share(peaked, [40, 16, 48, 24], 64, cells=False)[0] == pytest.approx(1.0)
    assert box_share(peaked, [44, 16, 48, 24], 64, cells=False)[0] == pytest.approx(0.5)
    assert box_share(peaked, [44, 16, 48, 24], 64)[0] == pytest.approx(1.0)
    assert box_share(peaked, [0, 0, 40, 16], 64)[0] == pytest.approx(0.0)


def test_the_tfds_builder_makes_the_splits_offline(tmp_path):
    from kerazoo.models.captioner.captioner_data import load_split
    from kerazoo.models.captioner.captioner_data import shapes_builder

    builder = shapes_builder({"train": 6, "validation": 2, "test": 3, "compositional": 4}, data_dir=str(tmp_path))
    loaded = {split: load_split(builder, split) for split in ("train", "test", "compositional")}
    assert {split: len(found) for split, found in loaded.items()} == {"train": 6, "test": 3, "compositional": 4}
    drawn = scenes.make_scenes(3, 0, "test")
    by_image = {s["image"].tobytes(): s for s in loaded["test"]}
    for scene in drawn:
        stored = by_image[scene["image"].tobytes()]
        assert stored["captions"] == scene["captions"]
        assert [o["box"] for o in stored["objects"]] == [o["box"] for o in scene["objects"]]
        assert sorted(stored["relations"]) == sorted(scene["relations"])
    with pytest.raises(ValueError, match="sizes"):
        shapes_builder({"tests": 3})
