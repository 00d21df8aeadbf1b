"""`recipe_optimizer`: the families' optimizer, told the run's length so that a recipe's schedule spans it."""

import numpy as np
import pytest

from kerazoo.models.family import recipe_optimizer


def rates(optimizer, steps):
    return [float(optimizer._learning_rate(step)) for step in steps]  # the schedule itself


def test_nanogpts_cosine_ends_on_the_runs_last_step():
    optimizer = recipe_optimizer({"optimizer": "nanogpt_adamw_cosine", "epochs": 3, "learning_rate": None}, 100)
    # Peak 1e-3 after 100 warmup steps, a tenth of it at step 300 (3 epochs of 100), not at the default 5,000.
    np.testing.assert_allclose(rates(optimizer, [100, 300, 1000]), [1e-3, 1e-4, 1e-4], rtol=1e-5)


def test_char_rnns_decay_counts_epochs_and_needs_their_length():
    config = {"optimizer": "charrnn_rmsprop", "epochs": 20, "learning_rate": None}
    optimizer = recipe_optimizer(config, 10)
    # x0.97 per epoch after epoch 10, epochs of 10 steps: step 99 ends epoch 10, step 120 is in epoch 13.
    np.testing.assert_allclose(rates(optimizer, [0, 99, 120]), [2e-3, 2e-3, 2e-3 * 0.97**3], rtol=1e-5)
    with pytest.raises(ValueError, match="needs `steps_per_epoch`. Received: steps_per_epoch=None"):
        recipe_optimizer(config, None)


def test_the_rate_and_clipping_given_replace_the_configs_and_the_recipes():
    optimizer = recipe_optimizer({"optimizer": "adam", "epochs": 2, "learning_rate": 5e-3}, 10, global_clipnorm=1.0)
    assert float(optimizer.learning_rate) == pytest.approx(5e-3) and optimizer.global_clipnorm == 1.0
    optimizer = recipe_optimizer({"optimizer": "adam", "epochs": 2, "learning_rate": 5e-3}, 10, learning_rate=2e-4)
    assert float(optimizer.learning_rate) == pytest.approx(2e-4)
