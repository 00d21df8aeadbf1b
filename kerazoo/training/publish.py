"""Publishing a finished run as a trained preset, with a measured model card.

`publish_preset(run_dir, name, card)` takes the run's best checkpoint,
measures it as the card says (its family's `measure`: the held-out metric,
and the small offline `check` the tests repeat), records a sample of what it
does, and writes `kerazoo/presets/NAME/` through `kerazoo.models.presets.save_preset`.
`recipes/zoo/train.py` calls it for every preset of the zoo.
"""

import datetime
import json
import os
import platform
import shutil
import tempfile

import keras

import kerazoo
from kerazoo.models.presets import presets_root
from kerazoo.models.presets import save_preset
from kerazoo.models.registry import family_of_run
from kerazoo.models.registry import run_config
from kerazoo.training.runner import load_run


def hardware():
    """The machine, in words: CPU cores and model."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPU cores ({name})"


def publish_preset(run_dir, name, card, command, root=None, extra_files=None):
    """Writes `root/name/` (default: kerazoo's own presets) from the finished run in `run_dir`.

    Args:
        run_dir: str. A finished run folder.
        name: str. The preset's name.
        card: dict. What the model card states beyond the run: `description`,
            `data` (the training data and split, in words), `metric` (a measure
            spec with its `target` and `better`: "lower" or "higher"), `check`
            (a small offline measure spec and the `tolerance` its tests allow).
        command: str. The command that trained it.
        root: str or None. Where presets go.
        extra_files: dict of file name -> text, written beside the weights (e.g. a reference the measure reads).

    Returns:
        The model card (the dict written to `metadata.json`).
    """
    family = family_of_run(run_dir)
    model, vocabulary = load_run(run_dir, which="best")
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    folder = os.path.join(root or presets_root(), name)
    # What the measures read and write lives in a temporary folder until save_preset copies it in.
    staging = tempfile.mkdtemp(prefix=f"kerazoo-{name}-")
    for file_name, text in (extra_files or {}).items():
        with open(os.path.join(staging, file_name), "w", encoding="utf-8") as f:
            f.write(text)
    measured = {}
    for key in ("metric", "check"):
        spec = card[key]
        result = family.measure(model, vocabulary, spec, folder=staging)
        measured[key] = {**spec, **result}
    metric = measured["metric"]
    if "target" in metric:
        metric["met"] = metric["value"] <= metric["target"] if metric["better"] == "lower" else metric["value"] >= metric["target"]
    config = run_config(run_dir)
    metadata = {
        "name": name,
        "family": family.name,
        "model": config["model"],
        "description": card["description"],
        "architecture": {"class_name": type(model).__name__, "config": model.get_config()},
        "data": card["data"],
        "metric": metric,
        "check": measured["check"],
        "training": {
            "command": command,
            "run_config": config,
            "steps": metrics.get("steps"),
            "epochs": metrics.get("epochs_completed"),
            "wall_s": metrics.get("wall_s_total", metrics.get("wall_s")),
            "stopped_by_time_budget": metrics.get("stopped_by_time_budget"),
            "backend": metrics.get("backend"),
        },
        "example": family.example(model, vocabulary),
        "hardware": card.get("hardware") or hardware(),
        "date": datetime.date.today().isoformat(),
        "kerazoo_version": kerazoo.__version__,
        "keras_version": keras.__version__,
    }
    try:
        return save_preset(model, vocabulary, folder, metadata, extra_dir=staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
