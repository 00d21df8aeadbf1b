"""Captions from images, and the captioner's measures: BLEU-4, content accuracy and attention pointing.

- BLEU-4: NLTK's `corpus_bleu` over words, every caption of a scene a reference.
- Content accuracy: the share of scenes whose caption, read back by
  `captioner_scenes.parse_caption`, names exactly the scene's objects (size,
  colour, shape) and only relations that hold.
- Attention pointing: for every colour and shape word of a readable caption,
  the share of that step's attention mass on the grid cells the object's box
  touches (`attention_pointing`), and, stricter, with each cell's mass spread
  evenly over its pixels and only the pixels inside the box counted
  (`attention_pointing_pixels`).
"""

import numpy as np

from kerazoo.generation.sampling import check_sampling_args
from kerazoo.generation.translate import decode_sources
from kerazoo.models.captioner import captioner_scenes as scenes
from kerazoo.utils.arguments import check_integer


def as_float_images(images):
    """uint8 or float `(batch, H, W, 3)` -> float32 in [0, 1], checked."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] != 3 or images.shape[0] == 0:
        raise ValueError(f"`images` must be a non-empty batch of RGB images (batch, height, width, 3). "
                         f"Received: shape {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)


def caption_ids(model, vocabulary, images, beam_width=1, temperature=0.0, top_k=0, top_p=1.0, seed=0,
                max_length=None, batch_size=250):
    """Decoded word ids `(batch, max_length)` (the first end token and what follows decode to nothing)."""
    images = as_float_images(images)
    check_integer("beam_width", beam_width, minimum=1)
    max_length = model.max_decoding_length - 1 if max_length is None else max_length
    check_integer("max_length", max_length, minimum=1, maximum=model.max_decoding_length - 1)
    check_sampling_args(temperature, top_k, None, top_p)
    side = images.shape[1]
    if images.shape[1:3] != (model.image_size, model.image_size):
        raise ValueError(f"`images` must be {model.image_size}x{model.image_size} for this model. "
                         f"Received: {images.shape[1]}x{images.shape[2]}")
    rows = [decode_sources(model, images[i: i + batch_size], vocabulary.start_id, vocabulary.end_id, max_length,
                           beam_width, 0.0, temperature, top_k, top_p, seed, ((None, side, side, 3), "float32"))
            for i in range(0, len(images), batch_size)]
    return np.concatenate(rows)


def caption(model, vocabulary, images, beam_width=1, temperature=0.0, top_k=0, top_p=1.0, seed=0, max_length=None):
    """The caption of each image (greedy at beam width 1, beam search above it, sampling at temperature > 0).

    Args:
        images: `(batch, H, W, 3)` uint8 or float in [0, 1], or one `(H, W, 3)` image.

    Returns:
        A list of str.
    """
    ids = caption_ids(model, vocabulary, images, beam_width, temperature, top_k, top_p, seed, max_length)
    return [vocabulary.decode(row) for row in ids]


def attention_for(model, vocabulary, images, captions):
    """Each caption word's attention over the grid: a list of `(words, grid, grid)` arrays."""
    images = as_float_images(images)
    length = max(len(c.split()) for c in captions) + 1
    inputs, _ = vocabulary.encode_batch(captions, length)
    weights = np.asarray(model.attention_maps(images, inputs))
    grid = model.grid_size
    return [weights[i, : len(c.split())].reshape(-1, grid, grid) for i, c in enumerate(captions)]


def box_share(maps, box, image_size, cells=True):
    """The share of each map's mass `(steps, grid, grid)` inside `box` [x0, y0, x1, y1] (pixels).

    With `cells`, the mass of every grid cell the box touches counts (the map's own resolution:
    an 8x8 grid cannot say more than which cells); otherwise each cell's mass is spread evenly over
    its pixels and only the pixels inside the box count, which caps the share of a small box that
    straddles cells below 1 even for a map that looks only at it.
    """
    grid = maps.shape[-1]
    cell = image_size / grid
    edges = np.arange(grid + 1) * cell
    overlap_x = np.clip(np.minimum(edges[1:], box[2]) - np.maximum(edges[:-1], box[0]), 0, None) / cell
    overlap_y = np.clip(np.minimum(edges[1:], box[3]) - np.maximum(edges[:-1], box[1]), 0, None) / cell
    if cells:
        overlap_x, overlap_y = (overlap_x > 0).astype(float), (overlap_y > 0).astype(float)
    inside = np.outer(overlap_y, overlap_x)
    return (maps * inside).sum(axis=(-2, -1)) / np.maximum(maps.sum(axis=(-2, -1)), 1e-9)


def bleu4(captions, references):
    """Corpus BLEU-4 (NLTK, uniform weights, no smoothing), words split on whitespace."""
    import warnings

    from nltk.translate.bleu_score import corpus_bleu

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # NLTK warns when an n-gram order has no match: the score says it
        return float(corpus_bleu([[r.split() for r in refs] for refs in references], [c.split() for c in captions]))


def measure(model, vocabulary, split_scenes, beam_width=1, pointing=True):
    """Every measure on a list of scenes: `{"bleu4", "content_accuracy", "attention_pointing", "scenes"}`."""
    images = np.stack([s["image"] for s in split_scenes])
    captions = caption(model, vocabulary, images, beam_width=beam_width)
    correct = [scenes.content_correct(c, s["objects"], s.get("relations")) for c, s in zip(captions, split_scenes)]
    result = {
        "scenes": len(split_scenes),
        "bleu4": bleu4(captions, [s["captions"] for s in split_scenes]),
        "content_accuracy": float(np.mean(correct)),
    }
    if pointing:
        shares, pixel_shares = [], []
        readable = [i for i, c in enumerate(captions) if c]
        for start in range(0, len(readable), 250):
            chunk = readable[start: start + 250]
            maps = attention_for(model, vocabulary, images[chunk], [captions[i] for i in chunk])
            for i, m in zip(chunk, maps):
                for position, k in scenes.object_word_positions(captions[i], split_scenes[i]["objects"]):
                    box = split_scenes[i]["objects"][k]["box"]
                    shares.append(float(box_share(m[position], box, images.shape[1])))
                    pixel_shares.append(float(box_share(m[position], box, images.shape[1], cells=False)))
        result["attention_pointing"] = float(np.mean(shares)) if shares else None
        result["attention_pointing_pixels"] = float(np.mean(pixel_shares)) if shares else None
        result["pointing_words"] = len(shares)
    result["captions"] = captions
    return result
