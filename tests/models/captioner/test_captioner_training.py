"""The captioner family's learning rate: constant, or a cosine decay over `decay_epochs` held at its end."""

import math

import numpy as np
import pytest

from kerazoo import build_captioner
from kerazoo.models.captioner.captioner_family import CAPTIONER_DEFAULTS
from kerazoo.models.captioner.captioner_family import CAPTIONER_FAMILY
from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary
from kerazoo.models.family import RunData

STEPS = 10  # optimizer steps per epoch


def config(**settings):
    return {**CAPTIONER_DEFAULTS, "learning_rate": 2e-3, **settings}


def expected_rate(step, base, final, decay_steps):
    """α_k = final + ½(1 + cos(π k / K))(base − final) for k <= K, then final."""
    if step >= decay_steps:
        return final
    return final + 0.5 * (1 + math.cos(math.pi * step / decay_steps)) * (base - final)


def test_the_rate_decays_over_decay_epochs_then_holds():
    schedule = CAPTIONER_FAMILY.learning_rate(config(decay_epochs=3, final_learning_rate=1e-4), STEPS)
    steps = [0, 1, 7, 15, 29, 30, 31, 200]
    rates = [float(schedule(step)) for step in steps]
    np.testing.assert_allclose(rates, [expected_rate(k, 2e-3, 1e-4, 30) for k in steps], rtol=1e-5)


def test_the_final_rate_defaults_to_a_twentieth_and_the_base_to_the_recipes():
    schedule = CAPTIONER_FAMILY.learning_rate(config(decay_epochs=2), STEPS)
    assert float(schedule(20)) == pytest.approx(1e-4)
    schedule = CAPTIONER_FAMILY.learning_rate(config(learning_rate=None, decay_epochs=2), STEPS)
    assert float(schedule(0)) == pytest.approx(1e-3)  # the adam recipe's rate
    assert float(schedule(20)) == pytest.approx(5e-5)


def test_without_decay_epochs_the_rate_is_constant():
    assert CAPTIONER_FAMILY.learning_rate(config(), STEPS) == 2e-3


def test_compile_gives_the_optimizer_the_schedule():
    vocabulary = CaptionVocabulary.from_grammar()
    model = build_captioner(vocabulary.size, embedding_dim=6, units=10, attention_units=7, filters=[4, 6, 8],
                            feature_dim=8, image_size=16, max_sequence_length=16)
    data = RunData(vocabulary=vocabulary, train=None, validation=None, steps_per_epoch=STEPS, units_per_step=2)
    CAPTIONER_FAMILY.compile(model, config(decay_epochs=3, final_learning_rate=1e-4), data)
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(15)
    assert float(model.optimizer.learning_rate) == pytest.approx(expected_rate(15, 2e-3, 1e-4, 30), rel=1e-5)
    assert model.optimizer.global_clipnorm == 1.0


def test_a_scheduled_recipe_spans_the_run_and_an_epoch_recipe_counts_its_epochs():
    vocabulary = CaptionVocabulary.from_grammar()
    model = build_captioner(vocabulary.size, embedding_dim=6, units=10, attention_units=7, filters=[4, 6, 8],
                            feature_dim=8, image_size=16, max_sequence_length=16)
    data = RunData(vocabulary=vocabulary, train=None, validation=None, steps_per_epoch=STEPS, units_per_step=2)
    # nanoGPT's cosine: the peak after its 100 warmup steps, a tenth of it on the run's last step (20 epochs of 10),
    # not on the recipe's default 5,000th.
    CAPTIONER_FAMILY.compile(model, config(optimizer="nanogpt_adamw_cosine", epochs=20), data)
    model.optimizer.build(model.trainable_variables)
    rates = []
    for step in (100, 200):
        model.optimizer.iterations.assign(step)
        rates.append(float(model.optimizer.learning_rate))
    np.testing.assert_allclose(rates, [2e-3, 2e-4], rtol=1e-5)
    # char-rnn's RMSProp decays per epoch and needs the epoch's length; it compiles and holds 2e-3 at first.
    CAPTIONER_FAMILY.compile(model, config(optimizer="charrnn_rmsprop", epochs=4), data)
    model.optimizer.build(model.trainable_variables)
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3, rel=1e-5)


@pytest.mark.parametrize("settings, named", [
    ({"decay_epochs": 0}, "decay_epochs"),
    ({"decay_epochs": 2.5}, "decay_epochs"),
    ({"final_learning_rate": -1e-4}, "final_learning_rate"),
])
def test_bad_decay_settings_are_refused_by_name(settings, named):
    with pytest.raises(ValueError, match=named):
        CAPTIONER_FAMILY.check_config(config(**settings))


def test_a_final_rate_above_the_base_is_refused():
    with pytest.raises(ValueError, match=r"final_learning_rate=0\.01"):
        CAPTIONER_FAMILY.learning_rate(config(decay_epochs=2, final_learning_rate=1e-2), STEPS)
