import numpy as np
import pytest
import keras
from keras import ops

from kerazoo import build_seq2seq_lstm
from kerazoo import build_transformer
from tests.test_case import randomize_weights
from tests.test_case import run_model_saving_test

SOURCE = np.array([[5, 6, 7, 8], [9, 4, 3, 0]], "int32")  # row 1 ends in padding
TARGET = np.array([[1, 3, 4], [1, 4, 3]], "int32")


def tiny(kind, **kwargs):
    if kind == "transformer":
        config = dict(num_layers=2, num_heads=2, hidden_dim=8, intermediate_dim=16, dropout=0.0, max_sequence_length=8)
        config.update(kwargs)
        return build_transformer(10, 6, **config)
    return build_seq2seq_lstm(10, 6, embedding_dim=4, units=6, max_sequence_length=8, **kwargs)


def inputs(source=SOURCE, target=TARGET):
    return {"encoder_token_ids": source, "decoder_token_ids": target}


@pytest.mark.parametrize("kind", ["transformer", "seq2seq_lstm"])
def test_appending_padding_changes_no_real_output(kind):
    model = randomize_weights(tiny(kind), seed=1, scale=0.4)
    before = ops.convert_to_numpy(model(inputs()))
    padded_source = np.concatenate([SOURCE, np.zeros((2, 3), "int32")], axis=1)
    padded_target = np.concatenate([TARGET, np.zeros((2, 2), "int32")], axis=1)
    after = ops.convert_to_numpy(model(inputs(padded_source, padded_target)))
    np.testing.assert_allclose(after[:, :3], before, atol=1e-5)


@pytest.mark.parametrize("kind", ["transformer", "seq2seq_lstm"])
def test_cached_decoding_matches_the_full_forward_pass(kind):
    model = randomize_weights(tiny(kind), seed=2, scale=0.4)
    full = ops.convert_to_numpy(model(inputs()))
    state = model.initial_decoding_state(SOURCE)
    steps = []
    for t in range(TARGET.shape[1]):
        logits, state = model.decoding_step(TARGET[:, t], state)
        steps.append(ops.convert_to_numpy(logits))
    np.testing.assert_allclose(np.stack(steps, axis=1), full, atol=1e-5)


def test_transformer_decoder_does_not_see_later_target_tokens():
    model = randomize_weights(tiny("transformer"), seed=3, scale=0.4)
    before = ops.convert_to_numpy(model(inputs()))
    changed = TARGET.copy()
    changed[:, 2] = 5
    after = ops.convert_to_numpy(model(inputs(target=changed)))
    np.testing.assert_allclose(after[:, :2], before[:, :2], atol=1e-6)
    assert not np.allclose(after[:, 2], before[:, 2])


@pytest.mark.parametrize("kind", ["transformer", "seq2seq_lstm"])
def test_attention_maps_are_distributions_over_real_source_tokens(kind):
    model = randomize_weights(tiny(kind), seed=4, scale=0.4)
    maps = [ops.convert_to_numpy(m) for m in model.attention_maps(SOURCE, TARGET)]
    for weights in maps:
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
        assert np.all(weights[1, ..., 3] == 0)  # the padded source position


@pytest.mark.parametrize("kind", ["transformer", "seq2seq_lstm"])
def test_saves_and_loads(kind, tmp_path):
    model = randomize_weights(tiny(kind), seed=5, scale=0.3)
    run_model_saving_test(model, inputs(), tmp_path)


def test_transformer_defaults_are_the_papers_base_model():
    model = build_transformer(100, 100)
    config = model.get_config()
    assert (config["num_layers"], config["hidden_dim"], config["num_heads"], config["intermediate_dim"]) == (6, 512, 8, 2048)
    assert config["dropout"] == 0.1 and config["normalize_first"] is False


def test_pre_ln_variant_trains_a_step():
    model = tiny("transformer", normalize_first=True)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    first = model.evaluate(inputs(), TARGET, verbose=0)
    model.fit(inputs(), TARGET, epochs=10, verbose=0)
    assert model.evaluate(inputs(), TARGET, verbose=0) < first


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="hidden_dim=8, num_heads=3"):
        tiny("transformer", num_heads=3)
    with pytest.raises(ValueError, match="units=0"):
        build_seq2seq_lstm(10, 6, units=0)
