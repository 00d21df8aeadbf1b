import inspect
import math

import keras
import numpy as np
import pytest

from kerazoo.optimizers import SCHEDULES
from kerazoo.optimizers import ConstantSchedule
from kerazoo.optimizers import EpochExponentialDecay
from kerazoo.optimizers import InverseSqrtDecay
from kerazoo.optimizers import TransformerSchedule
from kerazoo.optimizers import evaluate_schedule
from kerazoo.optimizers import get_schedule
from kerazoo.optimizers import inverse_time_decay
from kerazoo.optimizers import warmup_cosine_decay

STEPS = [0, 1, 2, 3, 9, 10, 99, 100, 101, 1234, 4000, 4999, 5000, 6000, 99999]


def test_constant():
    np.testing.assert_allclose(evaluate_schedule(ConstantSchedule(0.3), STEPS), 0.3, rtol=1e-6)


def test_inverse_time_is_the_lectures_formula_with_k_the_step():
    k = np.array(STEPS, dtype="float64")
    np.testing.assert_allclose(evaluate_schedule(inverse_time_decay(0.5), STEPS), 0.5 / (1 + k), rtol=1e-6)
    # decay_steps=100 makes k count epochs of 100 steps: fractional, or whole with staircase.
    np.testing.assert_allclose(
        evaluate_schedule(inverse_time_decay(0.5, decay_steps=100), STEPS), 0.5 / (1 + k / 100), rtol=1e-6
    )
    np.testing.assert_allclose(
        evaluate_schedule(inverse_time_decay(0.5, decay_steps=100, staircase=True), STEPS),
        0.5 / (1 + np.floor(k / 100)), rtol=1e-6,
    )
    np.testing.assert_allclose(
        evaluate_schedule(inverse_time_decay(0.5, decay_rate=0.1), STEPS), 0.5 / (1 + 0.1 * k), rtol=1e-6
    )
    assert isinstance(inverse_time_decay(0.5), keras.optimizers.schedules.InverseTimeDecay)


def test_inverse_sqrt():
    k = np.array(STEPS, dtype="float64")
    np.testing.assert_allclose(evaluate_schedule(InverseSqrtDecay(0.5), STEPS), 0.5 / np.sqrt(1 + k), rtol=1e-6)
    np.testing.assert_allclose(
        evaluate_schedule(InverseSqrtDecay(0.5, decay_steps=10, staircase=True), STEPS),
        0.5 / np.sqrt(1 + np.floor(k / 10)), rtol=1e-6,
    )


def test_transformer_schedule_is_the_papers_formula():
    s = np.array(STEPS, dtype="float64") + 1  # the paper counts steps from 1
    expected = 512**-0.5 * np.minimum(s**-0.5, s * 4000**-1.5)
    np.testing.assert_allclose(evaluate_schedule(TransformerSchedule(), STEPS), expected, rtol=1e-5)
    # A learning rate sets the peak, reached at the last warmup step.
    schedule = get_schedule("transformer", learning_rate=1e-3, d_model=64, warmup_steps=100)
    rates = evaluate_schedule(schedule, range(300))
    assert int(np.argmax(rates)) == 99
    np.testing.assert_allclose(rates.max(), 1e-3, rtol=1e-5)


def nanogpt_get_lr(it, learning_rate, warmup_iters, lr_decay_iters, min_lr):
    """nanoGPT's get_lr (the k/warmup form), written out for the comparison."""
    if it < warmup_iters:
        return learning_rate * it / warmup_iters
    if it > lr_decay_iters:
        return min_lr
    ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (learning_rate - min_lr)


def test_warmup_cosine_is_nanogpts_schedule():
    schedule = warmup_cosine_decay(1e-3, warmup_steps=100, total_steps=5000, alpha=0.1)
    expected = [nanogpt_get_lr(k, 1e-3, 100, 5000, 1e-4) for k in STEPS]
    np.testing.assert_allclose(evaluate_schedule(schedule, STEPS), expected, rtol=1e-5, atol=1e-9)
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)


def test_epoch_decay_matches_char_rnns_loop():
    """char-rnn multiplies the rate by 0.97 at the end of each epoch once `epoch >= decay_after`."""
    steps_per_epoch, decay_after = 7, 3
    schedule = EpochExponentialDecay(2e-3, steps_per_epoch, decay_rate=0.97, decay_after=decay_after)
    rate, expected = 2e-3, []
    for i in range(1, 12 * steps_per_epoch + 1):  # train.lua's 1-based iteration counter
        expected.append(rate)  # the rate used by update i, which is Keras's step k = i - 1
        if i % steps_per_epoch == 0 and i / steps_per_epoch >= decay_after:
            rate *= 0.97
    rates = evaluate_schedule(schedule, range(len(expected)))
    np.testing.assert_allclose(rates, expected, rtol=1e-6)
    assert rates[decay_after * steps_per_epoch - 1] == pytest.approx(2e-3)
    assert rates[decay_after * steps_per_epoch] == pytest.approx(2e-3 * 0.97)


def schedules_to_check():
    return [
        ConstantSchedule(0.1),
        InverseSqrtDecay(0.5, decay_steps=3, decay_rate=0.5, staircase=True),
        TransformerSchedule(d_model=64, warmup_steps=10, scale=2.0),
        EpochExponentialDecay(1e-3, 5, decay_rate=0.9, decay_after=2),
    ]


@pytest.mark.parametrize("schedule", schedules_to_check(), ids=lambda s: type(s).__name__)
def test_config_holds_every_argument_and_round_trips(schedule):
    config = schedule.get_config()
    assert set(config) == set(inspect.signature(type(schedule)).parameters)
    restored = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    assert type(restored) is type(schedule) and restored.get_config() == config
    np.testing.assert_allclose(evaluate_schedule(restored, STEPS[:8]), evaluate_schedule(schedule, STEPS[:8]))


def test_a_saved_model_restores_its_optimizers_schedule(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    schedule = EpochExponentialDecay(0.01, steps_per_epoch=2, decay_after=1)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, verbose=0)
    model.save(tmp_path / "model.keras")
    optimizer = keras.saving.load_model(tmp_path / "model.keras").optimizer
    assert isinstance(optimizer._learning_rate, EpochExponentialDecay)
    assert optimizer._learning_rate.get_config() == schedule.get_config()
    assert int(optimizer.iterations) == 2


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda: inverse_time_decay(0.1, decay_steps=0), "`decay_steps` must be > 0. Received: decay_steps=0"),
        (lambda: inverse_time_decay(-0.5), "`initial_learning_rate` must be > 0. Received: initial_learning_rate=-0.5"),
        (lambda: ConstantSchedule(-1.0), "`learning_rate` must be > 0. Received: learning_rate=-1.0"),
        (lambda: InverseSqrtDecay(0.1, decay_rate=-1), "`decay_rate` must be >= 0. Received: decay_rate=-1"),
        (lambda: TransformerSchedule(d_model=0), "`d_model` must be an integer >= 1. Received: d_model=0"),
        (lambda: TransformerSchedule(warmup_steps=2.5), "`warmup_steps` must be an integer >= 1. Received: warmup_steps=2.5"),
        (lambda: warmup_cosine_decay(1e-3, warmup_steps=100, total_steps=100), "`total_steps` must be > `warmup_steps`"),
        (lambda: warmup_cosine_decay(1e-3, alpha=2), "`alpha` must be in [0, 1]. Received: alpha=2"),
        (lambda: EpochExponentialDecay(1e-3, 0), "`steps_per_epoch` must be an integer >= 1. Received: steps_per_epoch=0"),
        (lambda: EpochExponentialDecay(1e-3, 10, decay_rate=1.5), "`decay_rate` must be in (0, 1]. Received: decay_rate=1.5"),
        (lambda: get_schedule("epoch_exponential"), "needs `steps_per_epoch`"),
        (lambda: get_schedule("nope"), "`schedule` must be one of"),
        (lambda: get_schedule("constant", decay_steps=3), "Received unknown arguments: ['decay_steps']"),
        (lambda: get_schedule("inverse_time", learning_rate=0.0), "`learning_rate` must be > 0. Received: learning_rate=0.0"),
    ],
)
def test_bad_arguments_name_the_argument_and_value(build, message):
    with pytest.raises(ValueError) as error:
        build()
    assert message in str(error.value)


def test_every_named_schedule_builds_with_its_defaults():
    for name in SCHEDULES:
        kwargs = {"steps_per_epoch": 10} if name == "epoch_exponential" else {}
        rates = evaluate_schedule(get_schedule(name, **kwargs), [0, 10, 1000])
        assert np.all(np.isfinite(rates)) and np.all(rates >= 0)
