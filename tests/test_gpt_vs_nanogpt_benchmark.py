"""benchmarks/gpt_vs_nanogpt.py reseeds a copy of nanoGPT's train.py and refuses bad arguments clearly.

No nanoGPT code is used: the train.py here is a two-line stand-in with nanoGPT's seeding line.
"""

import importlib.util
import os

import pytest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPOSITORY, "benchmarks", "gpt_vs_nanogpt.py")


def load_benchmark():
    spec = importlib.util.spec_from_file_location("gpt_vs_nanogpt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_seeded_copy_changes_only_the_seed(tmp_path):
    benchmark = load_benchmark()
    original = "seed_offset = 0\ntorch.manual_seed(1337 + seed_offset)\nprint('train')\n"
    (tmp_path / "train.py").write_text(original)
    name = benchmark.seeded_train_script(str(tmp_path), 2)
    assert name == "train_seed2.py"
    assert (tmp_path / name).read_text() == original.replace("1337 + seed_offset", "2 + seed_offset")
    assert (tmp_path / "train.py").read_text() == original


def test_a_train_script_without_the_seed_line_is_refused(tmp_path):
    (tmp_path / "train.py").write_text("print('no seed here')\n")
    with pytest.raises(ValueError, match="manual_seed"):
        load_benchmark().seeded_train_script(str(tmp_path), 1)


def test_bad_arguments_name_themselves(tmp_path):
    benchmark = load_benchmark()
    with pytest.raises(ValueError, match="Received: nanogpt="):
        benchmark.main(["--nanogpt", str(tmp_path / "missing"), "--nanogpt-python", "python"])
    with pytest.raises(ValueError, match="Received: iters=100"):
        benchmark.main(["--nanogpt", str(tmp_path), "--nanogpt-python", "python", "--scorer", __file__,
                        "--iters", "100"])
