"""Stores a zoo preset's weights in float16, and measures its model card's figures again on them.

    python recipes/zoo/cast.py NAME [NAME ...]      # or --all; e.g. shakespeare-gru

The zoo ships its weights in float16, half of float32's size, so that the
wheel stays well under a package index's 100 MB upload limit as families are
added. Keras casts them back when it loads them: the model is float32, with
weights rounded to float16. The card must state what the shipped weights do,
so this script measures the card's `metric` and `check` again on the float16
weights (the same `Family.measure` that `kerazoo evaluate` calls), keeps the
figures of the float32 weights as `value_float32`, and records the examples
again. A preset whose figures move by more than its check's tolerance stays
in float32, and its card says so in `weights_note`.

`recipes/zoo/train.py` calls `cast_preset` after it publishes a preset, so a
retrained preset ships in the same form. A preset already in float16 is left
as it is. The character models and the GPT are measured on tiny_shakespeare:
set KERAZOO_TINY_SHAKESPEARE, or keep the default ../shared/data/tinyshakespeare/input.txt.
"""

import argparse
import datetime
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TINY_SHAKESPEARE = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare", "input.txt")
PRESETS = os.path.join(ROOT, "kerazoo", "presets")


def _moved(before, after, tolerance):
    return abs(after - before) > tolerance


def cast_preset(folder, dtype="float16"):
    """Rewrites the preset in `folder` with `dtype` weights and a card measured on them; returns the card.

    The new folder is made beside the old one and swapped in only when it is
    complete, so an interrupted cast leaves the float32 preset as it was.
    """
    import keras

    from kerazoo.models.presets import WEIGHTS_FILE
    from kerazoo.models.presets import cast_weights_file
    from kerazoo.models.presets import load_preset
    from kerazoo.models.presets import read_metadata
    from kerazoo.models.presets import sign_files
    from kerazoo.models.registry import get_family

    card = read_metadata(folder)
    if card.get("weights_dtype", "float32") == dtype:
        print(f"{folder}: its weights are {dtype} already.", flush=True)
        return card
    family = get_family(card["family"])
    staging = tempfile.mkdtemp(prefix=".cast-", dir=os.path.dirname(os.path.abspath(folder)))
    try:
        for name in card["files"]:
            if name != WEIGHTS_FILE:
                shutil.copyfile(os.path.join(folder, name), os.path.join(staging, name))
        cast_weights_file(os.path.join(folder, WEIGHTS_FILE), os.path.join(staging, WEIGHTS_FILE), dtype)
        sign_files(staging, card)
        model, vocabulary, _ = load_preset(staging)
        tolerance = card["check"]["tolerance"]
        new = dict(card)
        for key in ("metric", "check"):
            before = card[key].get("value_float32", card[key]["value"])
            measured = family.measure(model, vocabulary, card[key], folder=staging)
            new[key] = {**card[key], **measured, "value_float32": before}
            print(f"{card['name']} {key}: {card[key]['kind']} float32 {before:.4f} -> {dtype} "
                  f"{measured['value']:.4f} (tolerance {tolerance})", flush=True)
        moved = [key for key in ("metric", "check")
                 if _moved(new[key]["value_float32"], new[key]["value"], tolerance)]
        if moved:
            # Too lossy: the float32 weights stay, and the card says why.
            figures = ", ".join(f"{key} {new[key]['value']:.4f}" for key in moved)
            card = dict(card)
            card["weights_dtype"] = "float32"
            card["weights_note"] = (
                f"Kept in float32: in {dtype} it measured {figures}, more than the check's tolerance "
                f"({tolerance}) away from the float32 figures."
            )
            print(f"{card['name']}: {card['weights_note']}", flush=True)
            return sign_files(folder, card)
        metric = new["metric"]
        if "target" in metric:
            lower = metric["better"] == "lower"
            metric["met"] = metric["value"] <= metric["target"] if lower else metric["value"] >= metric["target"]
        new["example"] = family.example(model, vocabulary)
        new["weights_dtype"] = dtype
        new["weights_cast"] = {"from": "float32", "date": datetime.date.today().isoformat(),
                               "keras_version": keras.__version__}
        new = sign_files(staging, new)
        old = folder.rstrip(os.sep) + ".float32"
        os.rename(folder, old)
        os.rename(staging, folder)
        shutil.rmtree(old)
        print(f"{new['name']}: {dtype}, {card['size_bytes'] / 1e6:.1f} MB -> {new['size_bytes'] / 1e6:.1f} MB",
              flush=True)
        return new
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="presets in kerazoo/presets/")
    parser.add_argument("--all", action="store_true", help="every preset in kerazoo/presets/")
    args = parser.parse_args(argv)
    names = sorted(os.listdir(PRESETS)) if args.all else args.names
    if not names:
        parser.error("name a preset, or pass --all")
    os.environ.setdefault("KERAZOO_TINY_SHAKESPEARE", os.path.abspath(TINY_SHAKESPEARE))
    for name in names:
        cast_preset(os.path.join(PRESETS, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
