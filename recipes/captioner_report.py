"""Measures the captioners on both test splits and on drawn scenes, and draws the docs' figures.

    python recipes/captioner_report.py                       # the shapes-captioner preset
    python recipes/captioner_report.py --transformer runs/zoo/shapes-caption-transformer

For each model: BLEU-4, content accuracy and attention pointing on the random
and the compositional test split (1,000 scenes each, as the `shapes_scenes`
builder draws them), and content accuracy on scenes drawn by PIL, not by the
generator (plain light backgrounds, shapes stamped by `ImageDraw` at 256x256,
sizes anywhere from small to large, saved as PNG and read as `kerazoo caption`
reads a file). Writes benchmarks/results/captioner.json, and
docs/images/shapes_scenes.png, docs/images/captioner_attention.png.
"""

import argparse
import datetime
import io
import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def draw_with_pil(rng, side=256):
    """A scene drawn with PIL's shapes (not the generator's masks): (PNG bytes, objects with centres in 64-px units)."""
    from PIL import Image
    from PIL import ImageDraw

    from kerazoo.models.captioner import captioner_scenes as scenes

    objects = None
    while objects is None:
        objects = scenes.random_objects(rng, scenes.colour_shape_pairs("test"))
    background = tuple(int(v) for v in rng.integers(225, 256, 3)) if rng.random() < 0.7 else (255, 255, 255)
    image = Image.new("RGB", (side, side), background)
    pen = ImageDraw.Draw(image)
    scale = side / scenes.IMAGE_SIZE
    for obj in objects:
        # Pure paint-program colours, sizes anywhere in the class's range.
        colour = scenes.COLOURS[obj["colour"]]
        cx, cy = obj["center"][0] * scale, obj["center"][1] * scale
        r = obj["diameter"] * scale / 2
        if obj["shape"] == "circle":
            pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        elif obj["shape"] == "square":
            pen.rectangle([cx - 0.9 * r, cy - 0.9 * r, cx + 0.9 * r, cy + 0.9 * r], fill=colour)
        elif obj["shape"] == "diamond":
            pen.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=colour)
        elif obj["shape"] == "triangle":
            pen.polygon([(cx, cy - r), (cx + r, cy + 0.75 * r), (cx - r, cy + 0.75 * r)], fill=colour)
        else:
            arm = 0.36 * r
            pen.rectangle([cx - arm, cy - r, cx + arm, cy + r], fill=colour)
            pen.rectangle([cx - r, cy - arm, cx + r, cy + arm], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue(), objects


def drawn_accuracy(model, vocabulary, count, seed, beam_width=1):
    import tensorflow as tf

    from kerazoo.models.captioner import captioner_scenes as scenes
    from kerazoo.models.captioner.captioner_evaluation import caption
    from kerazoo.models.captioner.captioner_export import decode_images

    rng = np.random.default_rng(seed)
    drawn = [draw_with_pil(rng) for _ in range(count)]
    images = decode_images(tf, tf.constant([png for png, _ in drawn]), model.image_size, 4096).numpy()
    captions = caption(model, vocabulary, images, beam_width=beam_width)
    correct = [scenes.content_correct(c, objects) for c, (_, objects) in zip(captions, drawn)]
    return float(np.mean(correct)), [(c, ok) for c, ok in zip(captions[:8], correct[:8])]


def measure_model(model, vocabulary, scenes_count, drawings, beam_width=1):
    from kerazoo.models.captioner import captioner_scenes as scenes
    from kerazoo.models.captioner.captioner_evaluation import measure

    result = {}
    for split in ("test", "compositional"):
        measured = measure(model, vocabulary, scenes.make_scenes(scenes_count, 0, split), beam_width)
        captions = measured.pop("captions")
        result[split] = {key: measured[key] for key in ("bleu4", "content_accuracy", "attention_pointing",
                                                        "attention_pointing_pixels", "scenes")}
        chosen = scenes.make_scenes(12, 0, split)
        result[split]["samples"] = [
            {"reference": s["captions"][0], "generated": c, "correct": scenes.content_correct(c, s["objects"])}
            for s, c in zip(chosen, captions[:12])]
        failures = [(s, c) for s, c in zip(scenes.make_scenes(scenes_count, 0, split), captions)
                    if not scenes.content_correct(c, s["objects"])]
        result[split]["failures"] = [{"reference": s["captions"][0], "generated": c} for s, c in failures[:8]]
    accuracy, samples = drawn_accuracy(model, vocabulary, drawings, seed=7, beam_width=beam_width)
    result["drawn"] = {"content_accuracy": accuracy, "scenes": drawings,
                       "samples": [{"generated": c, "correct": ok} for c, ok in samples]}
    return result


def figures(model, vocabulary, images_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kerazoo.models.captioner import captioner_scenes as scenes
    from kerazoo.models.captioner.captioner_evaluation import attention_for
    from kerazoo.models.captioner.captioner_evaluation import caption

    examples = scenes.make_scenes(6, 0, "test") + scenes.make_scenes(6, 0, "compositional")
    fig, axes = plt.subplots(2, 6, figsize=(18, 7))
    for ax, scene in zip(axes.flat, examples):
        ax.imshow(scene["image"])
        ax.set_title("\n".join(_wrap(scene["captions"][0], 30)), fontsize=8)
        ax.axis("off")
    fig.suptitle("shapes_scenes: the random test split (top) and the compositional split (bottom), first caption each")
    fig.savefig(os.path.join(images_dir, "shapes_scenes.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)

    scene = next(s for s in scenes.make_scenes(50, 0, "test") if len(s["objects"]) == 2)
    text = caption(model, vocabulary, scene["image"])[0]
    maps = attention_for(model, vocabulary, scene["image"][None], [text])[0]
    words = text.split()
    fig, axes = plt.subplots(1, len(words) + 1, figsize=(2 * (len(words) + 1), 2.6))
    axes[0].imshow(scene["image"])
    axes[0].set_title("image", fontsize=9)
    for ax, word, grid in zip(axes[1:], words, maps):
        ax.imshow(scene["image"])
        ax.imshow(np.kron(grid, np.ones((8, 8))), cmap="magma", alpha=0.6, extent=(0, 64, 64, 0))
        ax.set_title(word, fontsize=10)
    for ax in axes:
        ax.axis("off")
    fig.savefig(os.path.join(images_dir, "captioner_attention.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)
    return text


def _wrap(text, width):
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="shapes-captioner")
    parser.add_argument("--transformer", help="a run folder of the Transformer variant, measured beside it")
    parser.add_argument("--scenes", type=int, default=1000)
    parser.add_argument("--drawings", type=int, default=300)
    parser.add_argument("--beam-width", type=int, default=1, help="1 is greedy decoding (the default)")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "captioner.json"))
    parser.add_argument("--images", default=os.path.join(ROOT, "docs", "images"))
    args = parser.parse_args(argv)

    from kerazoo.models.presets import load_preset

    model, vocabulary, _ = load_preset(args.preset)
    command = " ".join(["python recipes/captioner_report.py"] + (argv if argv is not None else sys.argv[1:]))
    report = {"command": command, "beam_width": args.beam_width,
              "date": datetime.date.today().isoformat(), "hardware": f"{os.cpu_count()} CPU cores, "
              f"{platform.processor() or platform.machine()}", "models": {}}
    report["models"][args.preset] = measure_model(model, vocabulary, args.scenes, args.drawings, args.beam_width)
    report["attention_figure_caption"] = figures(model, vocabulary, args.images)
    if args.transformer:
        from kerazoo.training import load_run

        transformer, transformer_vocabulary = load_run(args.transformer)
        report["models"]["transformer:" + os.path.basename(args.transformer.rstrip("/"))] = measure_model(
            transformer, transformer_vocabulary, args.scenes, args.drawings, args.beam_width)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    for name, result in report["models"].items():
        print(name, {split: {k: v for k, v in figures_.items() if k not in ("samples", "failures")}
                     for split, figures_ in result.items()})


if __name__ == "__main__":
    main()
