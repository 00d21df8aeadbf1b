"""The layering of kerazoo holds: import-linter's contracts (setup.cfg), and no TensorFlow at import time."""

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.test_backends import BLOCK_TENSORFLOW
from tests.test_case import run_python

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_linter_contracts_are_kept():
    """cli -> export -> training -> models -> generation -> layers/data/optimizers; no cycles; TF in data/export only."""
    process = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-2000:]
    assert "3 kept, 0 broken" in process.stdout


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
def test_every_module_imports_on_jax_without_tensorflow():
    """TensorFlow is imported inside functions only: every kerazoo module loads where it is missing."""
    code = BLOCK_TENSORFLOW + r"""
import pkgutil, importlib
import kerazoo
names = [m.name for m in pkgutil.walk_packages(kerazoo.__path__, "kerazoo.")]
for name in names:
    importlib.import_module(name)
assert not any(n == "tensorflow" or n.startswith("tensorflow.") for n in sys.modules)
print("IMPORTED", len(names))
"""
    process = run_python(code, env={"KERAS_BACKEND": "jax"})
    assert process.returncode == 0, process.stderr[-3000:]
    assert int(process.stdout.split("IMPORTED")[1]) > 60
