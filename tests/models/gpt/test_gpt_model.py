import numpy as np
import pytest
import keras
from keras import ops

from kerazoo import build_gpt
from kerazoo.generation import generate_text
from kerazoo.models.gpt import GPT_CONFIGS
from tests.test_case import randomize_weights
from tests.test_case import run_model_saving_test
from tests.test_case import tiny_vocabulary

VOCAB = 10


def tiny_gpt(**kwargs):
    config = dict(num_layers=2, num_heads=2, hidden_dim=8, max_sequence_length=12)
    config.update(kwargs)
    return build_gpt(VOCAB, **config)


def seed_states(model):
    """The states of every dropout RNG in the model, to replay the same masks."""
    return [v for v in model.non_trainable_variables if "seed_generator_state" in v.path]


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_no_future_leak_with_dropout_on_and_off(dropout):
    model = tiny_gpt(dropout=dropout)
    ids = np.random.default_rng(0).integers(0, VOCAB, (2, 12)).astype("int32")
    changed = ids.copy()
    t = 6
    changed[:, t + 1 :] = (changed[:, t + 1 :] + 3) % VOCAB
    states = seed_states(model)
    # Embeddings, then per block the attention weights and two residual branches.
    assert len(states) == (1 + 3 * 2 if dropout else 0)
    for training in (False, True):
        # The same dropout masks for both calls: replay the RNG states.
        saved = [ops.convert_to_numpy(state) for state in states]
        before = ops.convert_to_numpy(model(ids, training=training))
        for state, value in zip(states, saved):
            state.assign(value)
        after = ops.convert_to_numpy(model(changed, training=training))
        np.testing.assert_allclose(after[:, : t + 1], before[:, : t + 1], atol=1e-6)
        assert not np.allclose(after[:, t + 1 :], before[:, t + 1 :])


def test_cached_decoding_gives_the_full_forward_logits():
    model = randomize_weights(tiny_gpt(), seed=2, scale=0.3)
    ids = np.random.default_rng(1).integers(0, VOCAB, (3, 12)).astype("int32")
    full = ops.convert_to_numpy(model(ids))
    state = model.initial_decoding_state(3)
    stepped = []
    for t in range(12):
        logits, state = model.decoding_step(ids[:, t], state)
        stepped.append(ops.convert_to_numpy(logits))
    np.testing.assert_allclose(np.stack(stepped, axis=1), full, atol=1e-5)


def test_past_the_context_the_window_slides_as_nanogpt_crops():
    vocabulary = tiny_vocabulary()
    model = build_gpt(vocabulary.size, num_layers=1, num_heads=2, hidden_dim=8, max_sequence_length=6)
    randomize_weights(model, seed=8, scale=0.5)
    text = generate_text(model, vocabulary, "ROM", max_length=12, temperature=0.0)
    ids = list(vocabulary.encode("ROM"))
    for _ in range(12):
        # nanoGPT's generate: crop to the last block_size tokens, take the last logits.
        logits = ops.convert_to_numpy(model(np.array([ids[-6:]], "int32")))[0, -1]
        logits[0] = -np.inf
        ids.append(int(np.argmax(logits)))
    assert text == "ROM" + vocabulary.decode(ids[3:])


def test_output_layer_is_the_transposed_token_embedding():
    model = randomize_weights(tiny_gpt(), seed=3)
    ids = np.array([[1, 2, 3]], "int32")
    table = ops.convert_to_numpy(model.token_embedding.embeddings)
    hidden = keras.Model(model.input, model.get_layer("final_norm").output)(ids)
    np.testing.assert_allclose(ops.convert_to_numpy(model(ids)), ops.convert_to_numpy(hidden) @ table.T, atol=1e-5)
    untied = tiny_gpt(tie_weights=False)
    assert untied.count_params() == model.count_params() + VOCAB * 8


def test_nanogpt_cpu_preset_has_nanogpts_parameter_count():
    kwargs = GPT_CONFIGS["nanogpt-cpu"]["model_kwargs"]
    model = build_gpt(65, **kwargs)
    # nanoGPT prints 0.80M, counting without the 64 x 128 position table.
    assert model.count_params() - 64 * 128 == 795_904


def test_sinusoidal_variant_saves_and_loads(tmp_path):
    model = tiny_gpt(position_encoding="sinusoidal")
    run_model_saving_test(model, np.array([[1, 2, 3, 4]], "int32"), tmp_path)


def test_gpt_saves_and_loads(tmp_path):
    model = randomize_weights(tiny_gpt(dropout=0.1), seed=5, scale=0.2)
    restored = run_model_saving_test(model, np.array([[1, 2, 3, 4, 5]], "int32"), tmp_path)
    assert isinstance(restored, type(model))


def test_one_fit_step_lowers_the_loss():
    model = tiny_gpt()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.tile(np.arange(10, dtype="int32"), (8, 1))
    first = model.evaluate(x[:, :-1], x[:, 1:], verbose=0)
    model.fit(x[:, :-1], x[:, 1:], epochs=5, verbose=0)
    assert model.evaluate(x[:, :-1], x[:, 1:], verbose=0) < first


def test_generation_is_seeded_and_greedy_follows_the_argmax():
    vocabulary = tiny_vocabulary()
    model = build_gpt(vocabulary.size, num_layers=1, num_heads=2, hidden_dim=8, max_sequence_length=32)
    randomize_weights(model, seed=6, scale=0.5)
    first = generate_text(model, vocabulary, ["RO", "J"], max_length=10, temperature=1.0, seed=4)
    assert first == generate_text(model, vocabulary, ["RO", "J"], max_length=10, temperature=1.0, seed=4)
    greedy = generate_text(model, vocabulary, "RO", max_length=5, temperature=0.0)
    ids = list(vocabulary.encode("RO"))
    for _ in range(5):
        logits = ops.convert_to_numpy(model(np.array([ids], "int32")))[0, -1]
        logits[0] = -np.inf  # the out-of-vocabulary id is never generated
        ids.append(int(np.argmax(logits)))
    assert greedy == "RO" + vocabulary.decode(ids[2:])


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"num_heads": 3}, "hidden_dim=8, num_heads=3"),
        ({"position_encoding": "rotary"}, "position_encoding='rotary'"),
        ({"max_sequence_length": 0}, "max_sequence_length=0"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_gpt(**kwargs)
