"""Scenes of shapes, drawn in NumPy, with their captions, boxes and relations: the captioner's data.

A scene is a 64x64 RGB image holding 1 to 3 objects on a background. An object
has a shape (`SHAPES`), a colour (`COLOURS`), a size (small or large) and a
position; its bounding box is recorded. The generator varies what a person's
drawing varies: plain backgrounds (white, light or dark) as well as noisy ones,
sizes anywhere in each class's range, outlines drawn or not, colours jittered
around their names.

Captions come from a small grammar with paraphrases:

    a small red circle
    there is a large blue square to the left of a small green triangle
    a small red circle above a large yellow cross and a small purple diamond to the right of it

With two or three objects the caption names every object and, for each other
object, its relation to one anchor (left of, right of, above, below: the axis
along which their centres differ most). The generator places objects so that
axis is clear (one offset at least 1.5 times the other), and `parse_caption`
reads a caption back to objects and relations, for the content measure.

Everything is deterministic from a seed, and nothing here imports TensorFlow.
"""

import itertools

import numpy as np

IMAGE_SIZE = 64
SHAPES = ("circle", "square", "triangle", "diamond", "cross")
COLOURS = {
    "red": (215, 35, 35),
    "green": (35, 165, 55),
    "blue": (40, 75, 225),
    "yellow": (240, 215, 35),
    "purple": (140, 55, 185),
    "orange": (245, 135, 25),
}
SIZES = ("small", "large")
# The diameter range of each size class, in pixels of the 64x64 image; the gap between them keeps the classes apart.
SIZE_RANGES = {"small": (10, 17), "large": (22, 32)}
RELATIONS = {"left": ("to the left of", "left of"), "right": ("to the right of", "right of"),
             "above": ("above",), "below": ("below",)}
INVERSE = {"left": "right", "right": "left", "above": "below", "below": "above"}
# Colour-shape pairs that no training scene holds: the compositional test split is made of scenes with one of them.
HELD_OUT_PAIRS = (("red", "triangle"), ("green", "square"), ("blue", "circle"), ("yellow", "cross"),
                  ("purple", "diamond"), ("orange", "circle"))
# The axis of a relation must be clear: the larger centre offset is at least this times the smaller.
AXIS_MARGIN = 1.5
CAPTIONS_PER_SCENE = 5


def relation(a, b):
    """Where object `a` is relative to `b` ("left", "right", "above" or "below"), by their centres' larger offset."""
    dx, dy = a["center"][0] - b["center"][0], a["center"][1] - b["center"][1]
    if abs(dx) >= abs(dy):
        return "left" if dx < 0 else "right"
    return "above" if dy < 0 else "below"


def clear_axis(a, b):
    dx, dy = abs(a["center"][0] - b["center"][0]), abs(a["center"][1] - b["center"][1])
    return max(dx, dy) >= AXIS_MARGIN * min(dx, dy) and max(dx, dy) >= 4


# --- Drawing ---


def shape_mask(shape, center, diameter, size=IMAGE_SIZE, rotation=0.0):
    """Boolean `(size, size)`: the pixels (by their centres) inside the shape."""
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    x, y = xs - center[0], ys - center[1]
    if rotation:
        cos, sin = np.cos(rotation), np.sin(rotation)
        x, y = cos * x + sin * y, -sin * x + cos * y
    r = diameter / 2.0
    if shape == "circle":
        return x * x + y * y <= r * r
    if shape == "square":
        side = r * 0.9
        return (np.abs(x) <= side) & (np.abs(y) <= side)
    if shape == "diamond":
        return np.abs(x) + np.abs(y) <= r
    if shape == "cross":
        arm = r * 0.36
        return ((np.abs(x) <= arm) & (np.abs(y) <= r)) | ((np.abs(y) <= arm) & (np.abs(x) <= r))
    if shape == "triangle":
        # Apex up; the base at y = r * 0.75, the apex at -r.
        top, bottom = -r, r * 0.75
        half = (y - top) / (bottom - top) * r
        return (y >= top) & (y <= bottom) & (np.abs(x) <= half)
    raise ValueError(f"`shape` must be one of {SHAPES}. Received: shape={shape!r}")


def mask_box(mask):
    """`[x0, y0, x1, y1]` in pixels (x1, y1 exclusive) of a non-empty mask."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    return [int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1]


def _background(rng):
    kind = rng.choice(["noise", "plain", "white"], p=[0.55, 0.3, 0.15])
    if kind == "white":
        image = np.full((IMAGE_SIZE, IMAGE_SIZE, 3), 255.0 - rng.uniform(0, 12))
    else:
        grey = rng.uniform(20, 235)
        tint = rng.normal(0, 6, size=3)
        image = np.broadcast_to(grey + tint, (IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float64)
        if kind == "noise":
            image = image + rng.normal(0, rng.uniform(8, 30), size=image.shape)
    return image


def draw_scene(objects, rng):
    """The uint8 image of `objects` (dicts with shape, colour, center, diameter, rotation), each with its box added."""
    image = _background(rng)
    for obj in objects:
        mask = shape_mask(obj["shape"], obj["center"], obj["diameter"], rotation=obj.get("rotation", 0.0))
        colour = np.asarray(COLOURS[obj["colour"]], dtype=np.float64) + rng.normal(0, 12, size=3)
        image[mask] = colour + rng.normal(0, 4, size=(int(mask.sum()), 3))
        if rng.random() < 0.25:  # a dark outline, as a paint program's pen leaves
            inner = shape_mask(obj["shape"], obj["center"], obj["diameter"] - 3, rotation=obj.get("rotation", 0.0))
            image[mask & ~inner] = rng.uniform(0, 50)
        obj["box"] = mask_box(mask)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


# --- Scenes ---


def _place(rng, diameters):
    """Centres for objects of these diameters: inside the image, apart, every pair's relation on a clear axis."""
    for _ in range(200):
        centers = []
        for d in diameters:
            margin = d / 2 + 1
            centers.append((rng.uniform(margin, IMAGE_SIZE - margin), rng.uniform(margin, IMAGE_SIZE - margin)))
        objects = [{"center": c, "diameter": d} for c, d in zip(centers, diameters)]
        ok = True
        for a, b in itertools.combinations(objects, 2):
            gap = max(abs(a["center"][0] - b["center"][0]) - (a["diameter"] + b["diameter"]) / 2,
                      abs(a["center"][1] - b["center"][1]) - (a["diameter"] + b["diameter"]) / 2)
            if gap < 2 or not clear_axis(a, b):
                ok = False
                break
        if ok:
            return centers
    return None


def random_objects(rng, pairs):
    """1 to 3 objects with distinct colour-shape pairs drawn from `pairs`, placed; None if placement failed."""
    count = int(rng.integers(1, 4))
    chosen = rng.choice(len(pairs), size=count, replace=False)
    sizes = [SIZES[int(rng.integers(2))] for _ in range(count)]
    diameters = [float(rng.uniform(*SIZE_RANGES[s])) for s in sizes]
    centers = _place(rng, diameters)
    if centers is None:
        return None
    objects = []
    for index, size, diameter, center in zip(chosen, sizes, diameters, centers):
        colour, shape = pairs[int(index)]
        rotation = float(rng.normal(0, 0.12)) if shape != "circle" else 0.0
        objects.append({"shape": shape, "colour": colour, "size": size, "diameter": diameter,
                        "center": (float(center[0]), float(center[1])), "rotation": rotation})
    return objects


def phrase(obj):
    return f"a {obj['size']} {obj['colour']} {obj['shape']}"


def all_captions(objects):
    """Every caption the grammar gives for `objects`, in a fixed order."""
    prefixes = ("", "there is ")
    captions = []
    if len(objects) == 1:
        captions = [prefix + phrase(objects[0]) for prefix in prefixes]
    elif len(objects) == 2:
        for a, b in (objects, objects[::-1]):
            for words in RELATIONS[relation(a, b)]:
                captions += [f"{prefix}{phrase(a)} {words} {phrase(b)}" for prefix in prefixes]
    else:
        for anchor in range(3):
            others = [objects[i] for i in range(3) if i != anchor]
            b = objects[anchor]
            for a, c in (others, others[::-1]):
                for first in RELATIONS[relation(a, b)]:
                    for second in RELATIONS[relation(c, b)]:
                        captions += [f"{prefix}{phrase(a)} {first} {phrase(b)} and {phrase(c)} {second} it"
                                     for prefix in prefixes]
    return captions


def make_scene(rng, pairs):
    """One scene: {"image", "objects", "captions", "relations"}."""
    objects = None
    while objects is None:
        objects = random_objects(rng, pairs)
    image = draw_scene(objects, rng)
    captions = all_captions(objects)
    picked = rng.choice(len(captions), size=min(CAPTIONS_PER_SCENE, len(captions)), replace=False)
    relations = [(i, relation(objects[i], objects[j]), j) for i, j in itertools.permutations(range(len(objects)), 2)]
    return {"image": image, "objects": objects, "captions": [captions[int(i)] for i in sorted(picked)],
            "relations": relations}


def colour_shape_pairs(split):
    """The colour-shape pairs a split's objects are drawn from."""
    every = [(colour, shape) for colour in COLOURS for shape in SHAPES]
    held = set(HELD_OUT_PAIRS)
    return [pair for pair in every if pair not in held] if split != "compositional" else every


def make_scenes(count, seed, split="train"):
    """`count` scenes for a split ("train", "validation", "test" or "compositional"), deterministic from `seed`.

    Train, validation and test scenes use no held-out colour-shape pair; each compositional
    scene holds at least one.
    """
    offsets = {"train": 0, "validation": 1, "test": 2, "compositional": 3}
    if split not in offsets:
        raise ValueError(f"`split` must be one of {sorted(offsets)}. Received: split={split!r}")
    rng = np.random.default_rng([seed, offsets[split]])
    pairs = colour_shape_pairs(split)
    held = set(HELD_OUT_PAIRS)
    scenes = []
    while len(scenes) < count:
        scene = make_scene(rng, pairs)
        if split == "compositional" and not any((o["colour"], o["shape"]) in held for o in scene["objects"]):
            continue
        scenes.append(scene)
    return scenes


# --- Reading a caption back ---


def parse_caption(caption):
    """`(objects, relations)` a caption states, or None if the grammar cannot read it.

    objects: list of (size, colour, shape); relations: list of (i, relation, j) over those indices.
    """
    words = caption.split()
    if words[:2] == ["there", "is"]:
        words = words[2:]
    position = 0
    objects, relations = [], []

    def read_object():
        nonlocal position
        if words[position:position + 1] != ["a"] or len(words) < position + 4:
            return None
        size, colour, shape = words[position + 1:position + 4]
        if size not in SIZES or colour not in COLOURS or shape not in SHAPES:
            return None
        position += 4
        return size, colour, shape

    def read_relation():
        nonlocal position
        for name, forms in RELATIONS.items():
            for form in forms:
                n = len(form.split())
                if words[position:position + n] == form.split():
                    position += n
                    return name
        return None

    first = read_object()
    if first is None:
        return None
    objects.append(first)
    if position == len(words):
        return objects, relations
    rel = read_relation()
    second = read_object() if rel else None
    if second is None:
        return None
    objects.append(second)
    relations.append((0, rel, 1))
    if position == len(words):
        return objects, relations
    if words[position:position + 1] != ["and"]:
        return None
    position += 1
    third = read_object()
    rel = read_relation() if third else None
    if rel is None or words[position:] != ["it"]:
        return None
    objects.append(third)
    relations.append((2, rel, 1))
    return objects, relations


def content_correct(caption, objects, relations=None):
    """Whether `caption` names exactly the scene's objects (size, colour, shape) and every relation it states holds.

    `relations`: the scene's recorded (i, relation, j) triples; None computes them from the objects' centres.
    """
    parsed = parse_caption(caption)
    if parsed is None:
        return False
    named, stated = parsed
    keys = [(o["size"], o["colour"], o["shape"]) for o in objects]
    if sorted(named) != sorted(keys):
        return False
    if relations is None:
        relations = [(i, relation(objects[i], objects[j]), j)
                     for i, j in itertools.permutations(range(len(objects)), 2)]
    # Colour-shape pairs are distinct within a scene, so each named object is one scene object.
    index = [keys.index(key) for key in named]
    return all((index[i], rel, index[j]) in set(relations) for i, rel, j in stated)


def object_word_positions(caption, objects):
    """[(word position, scene object index)] for every colour and shape word of a caption, or [] if unreadable."""
    parsed = parse_caption(caption)
    if parsed is None:
        return []
    keys = [(o["size"], o["colour"], o["shape"]) for o in objects]
    mentions = iter(named for named in parsed[0])
    found = []
    words = caption.split()
    for position, word in enumerate(words):
        if word == "a" and position + 3 < len(words) and words[position + 1] in SIZES:
            key = next(mentions, None)
            if key in keys:
                found += [(position + 2, keys.index(key)), (position + 3, keys.index(key))]
    return found
