"""The wheel a package index accepts: under PyPI's 100 MB upload limit, with every shipped preset in it.

The presets are most of the wheel, so they ship their weights in float16
(recipes/zoo/cast.py). The wheel is built offline from a copy of the
package, so the build leaves nothing in the checkout.
"""

import os
import shutil
import subprocess
import sys
import zipfile

from kerazoo.models.presets import shipped_presets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1e6
# A package index's usual upload limit (PyPI's default).
UPLOAD_LIMIT = 100 * MB


def _build_wheel(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copyfile(os.path.join(ROOT, name), source / name)
    shutil.copytree(os.path.join(ROOT, "kerazoo"), source / "kerazoo",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".preset-*", ".cast-*"))
    out = tmp_path / "wheel"
    process = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "-w", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    (wheel,) = out.glob("kerazoo-*.whl")
    return str(wheel)


def test_the_wheel_is_under_the_upload_limit_and_ships_every_preset(tmp_path):
    wheel = _build_wheel(tmp_path)
    size = os.path.getsize(wheel)
    assert size < UPLOAD_LIMIT, f"{wheel} is {size / MB:.1f} MB"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name, card in shipped_presets().items():
        for file_name in ["metadata.json", *card["files"]]:
            assert f"kerazoo/presets/{name}/{file_name}" in names, (name, file_name)
    # The presets are what makes the wheel large: what they weigh is what it weighs, give or take compression.
    presets = sum(card["size_bytes"] for card in shipped_presets().values())
    assert size < presets + 5 * MB
