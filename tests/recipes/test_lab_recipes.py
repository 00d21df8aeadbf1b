import os

import pytest

from recipes import optimizer_char_model
from recipes import optimizer_surfaces
from recipes import sgd_toy_problem


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_sgd_toy_problem_recipe_writes_its_figure(tmp_path, capsys):
    path = str(tmp_path / "toy.png")
    sgd_toy_problem.main(["--epochs", "2", "--output", path])
    assert is_png(path)
    out = capsys.readouterr().out
    assert "| full-batch gradient, α = 0.5 | 2 |" in out and "| SGD, constant α = 0.5 | 42 |" in out


@pytest.mark.smoke
def test_optimizer_surfaces_recipe_writes_its_figure(tmp_path):
    path = str(tmp_path / "surfaces.png")
    optimizer_surfaces.main(["--steps", "3", "--output", path])
    assert is_png(path)


@pytest.mark.smoke
def test_optimizer_char_model_recipe_trains_through_kerazoo(tmp_path):
    results = optimizer_char_model.run(str(tmp_path), epochs=1, steps_per_epoch=2, rates={"adam": 2e-3})
    assert results["adam"]["steps"] == 2 and results["adam"]["config"]["optimizer"] == "adam"
    assert os.path.isfile(tmp_path / "adam" / "model.keras")
