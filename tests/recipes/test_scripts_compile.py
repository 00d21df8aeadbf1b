"""Every script in recipes/ and benchmarks/ is valid Python: most are run by hand, not by a test, and a merge once
left recipes/zoo/train.py unable to parse without any test noticing."""

import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = sorted(os.path.relpath(path, ROOT) for folder in ("recipes", "benchmarks")
                 for path in glob.glob(os.path.join(ROOT, folder, "**", "*.py"), recursive=True))


def test_the_scripts_are_found():
    assert "recipes/zoo/train.py" in SCRIPTS and "benchmarks/word2vec_vs_gensim.py" in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_script_compiles(script):
    with open(os.path.join(ROOT, script), encoding="utf-8") as f:
        compile(f.read(), script, "exec")  # a SyntaxError names the file and the line
