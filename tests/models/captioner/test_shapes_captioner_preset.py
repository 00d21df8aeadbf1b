"""The `shapes-captioner` preset on scenes it did not draw: pictures made with PIL, as a paint program makes them.

Plain white or pale backgrounds, flat colours, shapes drawn by PIL's own primitives at 256x256 (not
the generator's masks), read from PNG files by `kerazoo caption`, as a user's drawing is.
"""

import io

from PIL import Image
from PIL import ImageDraw

from kerazoo.cli import main
from kerazoo.models.captioner import captioner_scenes as scenes

# (background, [(shape, colour, centre x, centre y, diameter)]) in pixels of a 256x256 canvas, and the caption
# the preset gives. It is right on 6 of these 7 (the preset before the 60,000-scene run was right on 3): a small
# circle (15 pixels across once the picture is 64x64) is still called a square, and that miss is kept here as it
# is, so that a change to the model or the decoding shows. docs/captioner.md reports content accuracy on 300 such drawings (recipes/captioner_report.py).
DRAWINGS = [
    ((255, 255, 255), [("circle", "red", 128, 128, 110)], "a large red circle"),
    ((255, 255, 255), [("square", "blue", 70, 128, 50), ("triangle", "yellow", 190, 128, 110)],
     "a large yellow triangle to the right of a small blue square"),
    ((250, 246, 238), [("cross", "green", 128, 60, 110), ("diamond", "purple", 128, 200, 50)],
     "there is a small purple diamond below a large green cross"),
    ((255, 255, 255), [("circle", "orange", 60, 200, 60), ("square", "red", 200, 60, 110)],
     "a small orange square left of a large red square"),
    ((255, 255, 255), [("diamond", "purple", 128, 128, 60)], "there is a small purple diamond"),
    ((255, 255, 255), [("cross", "green", 60, 128, 100), ("circle", "yellow", 190, 128, 60)],
     "there is a large green cross to the left of a small yellow circle"),
    ((255, 255, 255), [("triangle", "red", 128, 70, 60), ("square", "blue", 70, 190, 110),
                       ("circle", "green", 200, 190, 60)],
     "a small green circle right of a large blue square and a small red triangle above it"),
]


def draw(background, objects):
    image = Image.new("RGB", (256, 256), background)
    pen = ImageDraw.Draw(image)
    for shape, colour, x, y, diameter in objects:
        fill, r = scenes.COLOURS[colour], diameter / 2
        if shape == "circle":
            pen.ellipse([x - r, y - r, x + r, y + r], fill=fill)
        elif shape == "square":
            pen.rectangle([x - 0.9 * r, y - 0.9 * r, x + 0.9 * r, y + 0.9 * r], fill=fill)
        elif shape == "diamond":
            pen.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=fill)
        elif shape == "triangle":
            pen.polygon([(x, y - r), (x + r, y + 0.75 * r), (x - r, y + 0.75 * r)], fill=fill)
        else:
            pen.rectangle([x - 0.36 * r, y - r, x + 0.36 * r, y + r], fill=fill)
            pen.rectangle([x - r, y - 0.36 * r, x + r, y + 0.36 * r], fill=fill)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def scene_objects(objects):
    """The drawing's objects as the scenes describe them (64-pixel units; small below 19.5 pixels across)."""
    return [{"shape": shape, "colour": colour, "size": "small" if diameter / 4 < 19.5 else "large",
             "center": (x / 4, y / 4)} for shape, colour, x, y, diameter in objects]


def test_kerazoo_caption_on_drawings_it_did_not_make(tmp_path, capsys):
    paths = []
    for i, (background, objects, _) in enumerate(DRAWINGS):
        paths.append(tmp_path / f"drawing_{i}.png")
        paths[-1].write_bytes(draw(background, objects))
    assert main(["caption", "--preset", "shapes-captioner", *map(str, paths)]) == 0
    captions = capsys.readouterr().out.strip().splitlines()
    assert captions == [expected for _, _, expected in DRAWINGS]
    correct = [scenes.content_correct(text, scene_objects(objects)) for text, (_, objects, _) in zip(captions, DRAWINGS)]
    assert correct == [True, True, True, False, True, True, True]


def test_kerazoo_caption_refuses_a_file_that_is_not_an_image(tmp_path, capsys):
    path = tmp_path / "notes.png"
    path.write_text("these are notes, not a picture")
    assert main(["caption", "--preset", "shapes-captioner", str(path)]) == 2
    error = capsys.readouterr().err
    assert "notes.png" in error and "must hold PNG or JPEG bytes" in error and "Traceback" not in error


def test_a_run_that_cannot_caption_says_what_it_does(capsys):
    assert main(["caption", "--preset", "dates-lstm", "x.png"]) == 2
    error = capsys.readouterr().err
    assert "translates strings and does not caption" in error and "kerazoo translate" in error
