import keras
import numpy as np
import pytest

from kerazoo import optimizers
from kerazoo.optimizers import RECIPES
from kerazoo.optimizers import EpochExponentialDecay
from kerazoo.optimizers import evaluate_schedule

ISSUE_RECIPES = [
    "sgd", "sgd_inverse_time", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw",
    "charrnn_rmsprop", "bilm_adagrad", "transformer_adam_rsqrt", "nanogpt_adamw_cosine",
]


def test_every_recipe_of_the_issue_is_there_with_a_source():
    assert set(ISSUE_RECIPES) <= set(RECIPES)
    for recipe in RECIPES.values():
        assert len(recipe.source) > 20


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_each_recipe_builds_and_takes_steps(name):
    optimizer = optimizers.get(name, steps_per_epoch=2, total_steps=200)
    assert isinstance(optimizer, keras.optimizers.Optimizer)
    variable = keras.Variable(np.array([1.0, -2.0], dtype="float32"))
    for _ in range(3):  # nanoGPT's warmup starts at rate 0, so one step may not move
        optimizer.apply_gradients([(keras.ops.convert_to_tensor([0.5, -0.25]), variable)])
    value = keras.ops.convert_to_numpy(variable)
    assert int(optimizer.iterations) == 3
    assert np.all(np.isfinite(value)) and not np.array_equal(value, [1.0, -2.0])


def test_sgd_inverse_time_steps_are_the_lectures_rates():
    optimizer = optimizers.get("sgd_inverse_time")
    variable = keras.Variable(np.array([0.0], dtype="float32"))
    for _ in range(4):
        optimizer.apply_gradients([(keras.ops.convert_to_tensor([-1.0]), variable)])
    # θ moves by α_k = 0.5 / (1 + k) for k = 0..3.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), [0.5 + 0.25 + 0.5 / 3 + 0.125], rtol=1e-6)


def test_recipes_set_their_sources_defaults():
    charrnn = optimizers.get("charrnn_rmsprop", steps_per_epoch=423)
    assert (charrnn.rho, charrnn.epsilon, charrnn.clipvalue) == (0.95, 1e-8, 5.0)
    assert charrnn._learning_rate.get_config() == EpochExponentialDecay(2e-3, 423, 0.97, 10).get_config()
    bilm = optimizers.get("bilm_adagrad")
    assert (bilm.initial_accumulator_value, bilm.global_clipnorm) == (1.0, 10.0)
    assert float(bilm.learning_rate) == pytest.approx(0.2)
    transformer = optimizers.get("transformer_adam_rsqrt")
    assert (transformer.beta_2, transformer.epsilon) == (0.98, 1e-9)
    rates = evaluate_schedule(transformer._learning_rate, [3999])
    np.testing.assert_allclose(rates, [1 / np.sqrt(512 * 4000)], rtol=1e-5)
    nanogpt = optimizers.get("nanogpt_adamw_cosine")
    assert (nanogpt.beta_2, nanogpt.weight_decay, nanogpt.global_clipnorm) == (0.99, 0.1, 1.0)
    np.testing.assert_allclose(evaluate_schedule(nanogpt._learning_rate, [0, 100, 5000, 9000]),
                               [0.0, 1e-3, 1e-4, 1e-4], rtol=1e-5)


def test_overrides_reach_the_optimizer_and_the_schedule():
    # The run's length replaces the default decay length; a learning rate sets the peak.
    nanogpt = optimizers.get("nanogpt_adamw_cosine", total_steps=300, learning_rate=3e-3, warmup_steps=10)
    np.testing.assert_allclose(evaluate_schedule(nanogpt._learning_rate, [10, 300]), [3e-3, 3e-4], rtol=1e-5)
    # Clipping passed in replaces the recipe's, even as None.
    assert optimizers.get("nanogpt_adamw_cosine", clipvalue=2.0).global_clipnorm is None
    assert optimizers.get("charrnn_rmsprop", steps_per_epoch=5, global_clipnorm=None, clipvalue=None).clipvalue is None
    # The existing call of the trainer keeps working: None means the recipe's value.
    adam = optimizers.get("adam", learning_rate=None, global_clipnorm=5.0, clipvalue=None)
    assert adam.global_clipnorm == 5.0 and float(adam.learning_rate) == pytest.approx(1e-3)
    # A schedule replaces a recipe's rate.
    schedule = optimizers.inverse_time_decay(0.1)
    assert optimizers.get("momentum", learning_rate=schedule)._learning_rate is schedule


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"name": "nope"}, "`optimizer` must be one of"),
        ({"name": "sgd", "learning_rate": -0.1}, "`learning_rate` must be > 0. Received: learning_rate=-0.1"),
        ({"name": "sgd_inverse_time", "decay_steps": 0}, "`decay_steps` must be > 0. Received: decay_steps=0"),
        ({"name": "charrnn_rmsprop"}, "needs `steps_per_epoch`"),
        ({"name": "adam", "no_such_argument": 1}, "no_such_argument"),
        ({"name": "nanogpt_adamw_cosine", "total_steps": 50}, "`total_steps` must be > `warmup_steps`"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        optimizers.get(**kwargs)
    assert message in str(error.value)
