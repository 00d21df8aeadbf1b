import numpy as np
import pytest
import keras

from kerazoo import build_gru
from kerazoo import build_lstm
from kerazoo.generation import generate_text
from kerazoo.generation.decoding import generate_ids
from kerazoo.generation.decoding import rnn_step_fn
from kerazoo.generation.decoding import zero_state
from tests.test_case import randomize_weights
from tests.test_case import tiny_vocabulary


@pytest.fixture
def model_and_vocabulary():
    vocabulary = tiny_vocabulary()
    model = build_lstm(vocabulary.size, units=8, num_layers=2, embedding_dim=4)
    randomize_weights(model, seed=5, scale=0.8)
    return model, vocabulary


def test_carried_state_gives_the_distribution_of_a_full_recompute(model_and_vocabulary):
    """At every generated position, the step logits equal those of the full model on the prefix."""
    model, vocabulary = model_and_vocabulary
    streaming = model.streaming_model()
    recorded = []
    step = rnn_step_fn(streaming)

    def recording_step(token_ids, state):
        logits, state = step(token_ids, state)
        recorded.append(keras.ops.convert_to_numpy(logits))
        return logits, state

    prompt = vocabulary.encode("ROMEO:")[None, :]
    tokens = generate_ids(
        recording_step, zero_state(streaming.state_sizes, 1), prompt, np.array([6]), 20, 1.0, 0, 3
    )
    tokens = keras.ops.convert_to_numpy(tokens)
    full = keras.ops.convert_to_numpy(model(tokens[:, :-1]))
    np.testing.assert_allclose(np.concatenate(recorded, axis=0), full[0], atol=1e-5)


def test_greedy_text_follows_the_full_model_argmax(model_and_vocabulary):
    model, vocabulary = model_and_vocabulary
    text = generate_text(model, vocabulary, "JULIET:", max_length=15, temperature=0.0)
    ids = vocabulary.encode(text)
    logits = keras.ops.convert_to_numpy(model(ids[None, :-1]))[0]
    np.testing.assert_array_equal(logits.argmax(-1)[6:], ids[7:])


def test_prompts_of_different_lengths_share_a_batch(model_and_vocabulary):
    model, vocabulary = model_and_vocabulary
    prompts = ["O", "But soft, what light", "ROMEO:\n"]
    batched = generate_text(model, vocabulary, prompts, max_length=12, temperature=0.0)
    alone = [generate_text(model, vocabulary, prompt, max_length=12, temperature=0.0) for prompt in prompts]
    assert batched == alone
    for prompt, text in zip(prompts, batched):
        assert text.startswith(prompt) and len(text) == len(prompt) + 12


def test_same_seed_same_text_other_seed_other_text(model_and_vocabulary):
    model, vocabulary = model_and_vocabulary
    first = generate_text(model, vocabulary, "O", max_length=40, temperature=1.0, seed=1)
    assert first == generate_text(model, vocabulary, "O", max_length=40, temperature=1.0, seed=1)
    assert first != generate_text(model, vocabulary, "O", max_length=40, temperature=1.0, seed=2)


def test_unknown_prompt_characters_are_kept_and_read_as_out_of_vocabulary(model_and_vocabulary):
    model, vocabulary = model_and_vocabulary
    text = generate_text(model, vocabulary, "Zé", max_length=5, temperature=0.0)
    assert text.startswith("Zé") and len(text) == 7


def test_the_out_of_vocabulary_id_is_never_generated(model_and_vocabulary):
    model, vocabulary = model_and_vocabulary
    head = model.get_layer("logits")
    bias = keras.ops.convert_to_numpy(head.bias).copy()
    bias[0] = 100.0  # the model now prefers the out-of-vocabulary id above all
    head.bias.assign(bias)
    for temperature in (0.0, 1.0):
        text = generate_text(model, vocabulary, "O", max_length=20, temperature=temperature)
        assert len(text) == 21


@pytest.mark.smoke
def test_gru_generation_runs():
    vocabulary = tiny_vocabulary()
    model = build_gru(vocabulary.size, units=4)
    assert len(generate_text(model, vocabulary, ["a", "bb"], max_length=3)) == 2


@pytest.mark.parametrize(
    "prompts,kwargs,message",
    [
        ([""], {}, "empty prompts at positions \\[0\\]"),
        (["", ""], {}, "empty prompts"),
        (["ok", ""], {}, "positions \\[1\\]"),
        ([], {}, "`prompts`"),
        (["a"], {"temperature": -0.5}, "`temperature`"),
        (["a"], {"max_length": 0}, "`max_length`"),
        (["a"], {"top_k": -1}, "`top_k`"),
    ],
)
def test_bad_input_gets_a_clear_error(model_and_vocabulary, prompts, kwargs, message):
    model, vocabulary = model_and_vocabulary
    with pytest.raises(ValueError, match=message):
        generate_text(model, vocabulary, prompts, **{"max_length": 5, **kwargs})


def test_one_compiled_program_serves_every_request():
    from kerazoo import build_gpt
    from kerazoo.generation.text import compiled_decoder

    if keras.backend.backend() != "tensorflow":
        pytest.skip("counts tf.function traces")
    vocabulary = tiny_vocabulary()
    model = build_gpt(vocabulary.size, num_layers=1, num_heads=2, hidden_dim=8, max_sequence_length=40)
    generate_text(model, vocabulary, "RO", max_length=5)
    generate_text(model, vocabulary, ["JULIET", "O"], max_length=20, temperature=0.5, top_k=3, top_p=0.9, seed=7)
    generate_text(model, vocabulary, "ROMEO:\nBut", max_length=1, temperature=0.0)
    # New prompts, lengths, batch sizes and options: still the first trace.
    assert compiled_decoder(model)._run.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("length", [5, 16, 40])
def test_prefill_reads_a_block_as_the_steps_would(length):
    """GPT reads a prompt in one parallel pass (within its context of 16, or past it); the RNN step by step."""
    from kerazoo import build_gpt

    vocabulary_size = 11
    ids = np.random.default_rng(length).integers(1, vocabulary_size, size=(2, length + 1)).astype("int32")
    for model in (
        randomize_weights(build_gpt(vocabulary_size, num_layers=2, num_heads=2, hidden_dim=8, max_sequence_length=16),
                          seed=1, scale=0.3),
        randomize_weights(build_lstm(vocabulary_size, units=6, num_layers=2, embedding_dim=4), seed=2),
    ):
        stepped = model.initial_decoding_state(2)
        for t in range(length):
            _, stepped = model.decoding_step(ids[:, t], stepped)
        filled = model.prefill(ids[:, :length], model.initial_decoding_state(2))
        # What is decoded next is the same: the next token's logits agree.
        next_stepped, _ = model.decoding_step(ids[:, length], stepped)
        next_filled, _ = model.decoding_step(ids[:, length], filled)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(next_filled), keras.ops.convert_to_numpy(next_stepped),
                                   atol=1e-5, err_msg=type(model).__name__)
