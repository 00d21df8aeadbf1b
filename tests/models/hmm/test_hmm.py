"""The HMM family: the forward cell equals the forward algorithm (NumPy, and brute force over every
state path), Baum-Welch equals hmmlearn's CategoricalHMM, EM never lowers the likelihood, and the
CLI trains, resumes, generates, exports and serves it."""

import itertools
import json
import os

import keras
import numpy as np
import pytest

from kerazoo.cli import main
from kerazoo.generation import generate_text
from kerazoo.models.hmm import hmm_em
from kerazoo.models.hmm.hmm_family import HMM_FAMILY
from kerazoo.models.hmm.hmm_family import streamed_loss
from kerazoo.models.hmm.hmm_model import HMMForwardCell
from kerazoo.models.hmm.hmm_model import HMMLanguageModel
from kerazoo.training import load_run
from tests.export.test_saved_model import SERVE
from tests.test_case import run_python

STATES, SYMBOLS = 3, 4


def _model(seed=0, states=STATES, symbols=SYMBOLS):
    """A float64 model with random, non-uniform parameters."""
    keras.utils.set_random_seed(seed)
    return HMMLanguageModel(symbols, states=states, dtype="float64")


def _numpy_forward(ids, initial, transition, emission):
    """The textbook scaled forward pass: next-symbol log-probabilities after each prefix, and log p(x)."""
    predicted, outputs, log_likelihood = initial, [], 0.0
    for x in ids:
        joint = predicted * emission[:, x]
        log_likelihood += np.log(joint.sum())
        predicted = (joint / joint.sum()) @ transition
        outputs.append(np.log(predicted @ emission))
    return np.array(outputs), log_likelihood


def _brute_force(ids, initial, transition, emission):
    """p(x_1..x_T) = Σ over all K^T state paths of π_{z1} B_{z1 x1} Π_t A_{z(t-1) zt} B_{zt xt}."""
    total = 0.0
    for path in itertools.product(range(len(initial)), repeat=len(ids)):
        p = initial[path[0]] * emission[path[0], ids[0]]
        for t in range(1, len(ids)):
            p *= transition[path[t - 1], path[t]] * emission[path[t], ids[t]]
        total += p
    return total


def test_forward_cell_equals_numpy_forward_and_brute_force_enumeration():
    model = _model()
    initial, transition, emission = model.probabilities()
    rng = np.random.default_rng(1)
    ids = rng.integers(0, SYMBOLS, size=(3, 6))
    outputs = keras.ops.convert_to_numpy(model(ids))
    log_likelihoods = keras.ops.convert_to_numpy(model.sequence_log_likelihood(ids))
    for row, output, log_likelihood in zip(ids, outputs, log_likelihoods):
        expected, numpy_log_likelihood = _numpy_forward(row, initial, transition, emission)
        np.testing.assert_allclose(output, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(log_likelihood, numpy_log_likelihood, rtol=1e-12)
        # Every next-symbol prediction is a distribution, and the chain rule gives the brute-force sum.
        np.testing.assert_allclose(np.exp(output).sum(axis=-1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.exp(log_likelihood), _brute_force(row, initial, transition, emission),
                                   rtol=1e-10)
        # Brute force on every prefix: each output is log p(x_1..x_t, v) - log p(x_1..x_t).
        for t in range(1, len(row)):
            prefix = _brute_force(row[:t], initial, transition, emission)
            for v in range(SYMBOLS):
                joint = _brute_force(np.append(row[:t], v), initial, transition, emission)
                np.testing.assert_allclose(output[t - 1, v], np.log(joint / prefix), rtol=1e-10)


def test_the_cell_state_is_the_normalised_filter_and_zeros_mean_the_prior():
    model = _model()
    initial, transition, emission = model.probabilities()
    cell = model.cell
    assert isinstance(cell, HMMForwardCell)
    x = 2
    filtered, (state,) = cell(np.tile(emission[:, x], (2, 1)), [np.zeros((2, STATES))])
    # From the zero state the cell applies the prior: f_1 = π ⊙ B[:, x] / Σ.
    expected = initial * emission[:, x] / (initial * emission[:, x]).sum()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(filtered), np.tile(expected, (2, 1)), rtol=1e-12)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(state).sum(axis=-1), 1.0, rtol=1e-12)


def test_decoding_steps_and_the_streaming_form_equal_the_full_pass():
    model = _model(seed=3)
    ids = np.random.default_rng(2).integers(0, SYMBOLS, size=(2, 9))
    full = keras.ops.convert_to_numpy(model(ids))
    state, stepped = model.initial_decoding_state(2), []
    for t in range(ids.shape[1]):
        logits, state = model.decoding_step(ids[:, t], state)
        stepped.append(keras.ops.convert_to_numpy(logits))
    np.testing.assert_allclose(np.stack(stepped, axis=1), full, rtol=1e-12)
    # prefill (DecodingMixin) reads a block to the same filter.
    prefilled = model.prefill(ids, model.initial_decoding_state(2))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(prefilled[0]), keras.ops.convert_to_numpy(state[0]),
                               rtol=1e-12)
    # Reading in two calls with the filter carried is reading in one.
    first, carried = model([ids[:, :4], np.zeros((2, STATES))])
    second, _ = model([ids[:, 4:], carried])
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, rtol=1e-12)


def test_streamed_loss_carries_the_filter_across_chunks():
    model = _model(seed=4)
    ids = np.random.default_rng(5).integers(0, SYMBOLS, size=40)
    initial, _, emission = model.probabilities()
    log_likelihood = float(keras.ops.convert_to_numpy(model.sequence_log_likelihood(ids[None, :]))[0])
    # All characters but the first, each given everything before it: log p(x) - log p(x_1), per character.
    expected = -(log_likelihood - np.log(initial @ emission[:, ids[0]])) / (len(ids) - 1)
    np.testing.assert_allclose(streamed_loss(model, ids, chunk=7), expected, rtol=1e-10)


def _hmmlearn(initial, transition, emission, **kwargs):
    hmm = pytest.importorskip("hmmlearn.hmm")
    peer = hmm.CategoricalHMM(n_components=len(initial), n_features=emission.shape[1], init_params="",
                              params="ste", **kwargs)
    peer.startprob_, peer.transmat_, peer.emissionprob_ = initial, transition, emission
    return peer


def test_log_likelihood_equals_hmmlearn():
    model = _model(seed=6, states=4, symbols=6)
    parameters = model.probabilities()
    ids = np.random.default_rng(7).integers(0, 6, size=(5, 30))
    peer = _hmmlearn(*parameters)
    ours = keras.ops.convert_to_numpy(model.sequence_log_likelihood(ids))
    theirs = [peer.score(row[:, None]) for row in ids]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    # The E-step's scaled forward pass (NumPy) gives the same total.
    counts = hmm_em.expected_counts([ids], *parameters)
    np.testing.assert_allclose(counts.log_likelihood, sum(theirs), rtol=0, atol=1e-6)


def test_one_baum_welch_step_equals_hmmlearn():
    model = _model(seed=8, states=4, symbols=6)
    parameters = model.probabilities()
    rng = np.random.default_rng(9)
    # Chunks of two lengths (hmmlearn's `lengths`): a full group and a shorter rest.
    chunks = [rng.integers(0, 6, size=(6, 25)), rng.integers(0, 6, size=(1, 11))]
    new, _, characters = hmm_em.baum_welch_step(chunks, *parameters, group_chars=50)
    assert characters == 161
    peer = _hmmlearn(*parameters, n_iter=1, tol=0.0)
    peer.fit(np.concatenate([c.ravel() for c in chunks])[:, None], lengths=[25] * 6 + [11])
    for ours, theirs in zip(new, (peer.startprob_, peer.transmat_, peer.emissionprob_)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_em_never_lowers_the_likelihood_in_float32_or_float64():
    rng = np.random.default_rng(10)
    # Text with structure (a noisy cycle), so the likelihood has somewhere to go.
    ids = (np.arange(2000) % 5 + (rng.random(2000) < 0.2) * rng.integers(0, 3, 2000)) % 6
    chunks = hmm_em.chunk_ids(ids, 64)
    for dtype in (np.float64, np.float32):
        parameters, history = _model(seed=11, states=4, symbols=6).probabilities(), []
        for _ in range(8):
            parameters, log_likelihood, _ = hmm_em.baum_welch_step(chunks, *parameters, dtype=dtype)
            history.append(log_likelihood)
        slack = 1e-9 if dtype == np.float64 else 1e-4
        assert all(b >= a - slack * abs(a) for a, b in zip(history, history[1:])), history
        assert history[-1] > history[0] + 100


def test_bad_sizes_and_settings_are_refused():
    with pytest.raises(ValueError, match="states=0"):
        HMMLanguageModel(5, states=0)
    with pytest.raises(ValueError, match="states=0"):
        HMM_FAMILY.resolve_config(model_kwargs={"states": 0})
    with pytest.raises(ValueError, match="`learning_rate` does not apply to fit='em'"):
        HMM_FAMILY.resolve_config(fit="em", learning_rate=0.1)
    with pytest.raises(ValueError, match="fit="):
        HMM_FAMILY.resolve_config(fit="viterbi")
    with pytest.raises(ValueError, match="length=0"):
        hmm_em.chunk_ids(np.arange(5), 0)


def test_cli_refuses_zero_states_and_a_flag_em_does_not_take(tiny_text_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", "hmm", "--states", "0", "--corpus", tiny_text_file, "--output", run]) == 2
    assert "`states` must be an integer >= 1. Received: states=0" in capsys.readouterr().err
    assert main(["train", "hmm", "--fit", "em", "--optimizer", "sgd", "--corpus", tiny_text_file,
                 "--output", run]) == 2
    assert "`optimizer` does not apply to fit='em'" in capsys.readouterr().err
    assert not os.path.exists(run)


def _train(corpus, run, *extra):
    return main(["train", "hmm", "--states", "5", "--corpus", corpus, "--output", run, "--seq-length", "20",
                 "--batch-size", "4", "--verbose", "0", *extra])


def test_em_run_resumes_where_its_time_budget_stopped_it(tiny_text_file, tmp_path, capsys):
    whole, pieces = str(tmp_path / "whole"), str(tmp_path / "pieces")
    assert _train(tiny_text_file, whole, "--fit", "em", "--epochs", "3") == 0
    # A budget this small stops the run after each EM iteration; the same command goes on.
    for completed, budget in ((1, ["--max-minutes", "1e-6"]), (3, [])):
        assert _train(tiny_text_file, pieces, "--fit", "em", "--epochs", "3", *budget) == 0
        with open(os.path.join(pieces, "metrics.json"), encoding="utf-8") as f:
            metrics = json.load(f)
        assert metrics["epochs_completed"] == completed and metrics["finished"] == (completed == 3)
    capsys.readouterr()
    with open(os.path.join(whole, "metrics.json"), encoding="utf-8") as f:
        uninterrupted = json.load(f)
    assert uninterrupted["finished"] and uninterrupted["steps"] == 3
    # The same iterations from the same start: the same likelihoods, going down.
    losses = [row["loss"] for row in uninterrupted["history"]]
    np.testing.assert_allclose([row["loss"] for row in metrics["history"]], losses, rtol=1e-5)
    assert losses[2] <= losses[1] <= losses[0]
    for resumed, straight in zip(load_run(pieces, "final")[0].get_weights(), load_run(whole, "final")[0].get_weights()):
        np.testing.assert_allclose(resumed, straight, atol=1e-5)


@pytest.mark.parametrize("fit", ["em", "gradient"])
def test_cli_trains_generates_exports_and_serves_without_kerazoo(fit, tiny_text_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    extra = ["--epochs", "4"] if fit == "em" else ["--epochs", "2", "--steps-per-epoch", "15",
                                                     "--learning-rate", "0.1"]
    assert _train(tiny_text_file, run, "--fit", fit, *extra) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    assert metrics["family"] == "hmm" and metrics["finished"] is True and metrics["config"]["fit"] == fit
    # It learned something: clearly below the uniform loss ln(vocabulary size).
    assert summary["best_val_loss"] < np.log(metrics["vocabulary_size"]) - 0.2
    assert np.isfinite(metrics["streamed_val_loss"])

    prompts = ["RO", "JULIET"]
    assert main(["generate", run, "--prompt", "RO", "--prompt", "JULIET", "--length", "12", "--temperature", "0"]) == 0
    from_cli = capsys.readouterr().out
    model, vocabulary = load_run(run)
    assert from_cli == "".join(text + "\n" for text in generate_text(model, vocabulary, prompts, 12, 0.0))
    if fit == "gradient":
        return  # the model class and the export path are the same for both fits: served once, below

    base = str(tmp_path / "saved_models")
    assert main(["export", run, "--name", "hmm", "--base-dir", base]) == 0
    path = capsys.readouterr().out.strip()
    with open(os.path.join(path, "assets", "kerazoo.json"), encoding="utf-8") as f:
        assert json.load(f)["family"] == "hmm"
    ids = vocabulary.encode("ROMEO:")[None, :]
    code = SERVE.replace("PATH", repr(path)).replace("IDS", repr(ids.tolist())).replace("PROMPTS", repr(prompts))
    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"})
    assert process.returncode == 0, process.stderr[-3000:]
    served = json.loads(process.stdout.split("RESULT")[-1])
    assert served["kerazoo_imported"] is False
    assert served["signatures"] == ["generate", "serving_default", "step"]
    assert served["greedy"] == generate_text(model, vocabulary, prompts, 30, 0.0)
    assert served["text"] == generate_text(model, vocabulary, prompts, 30, 0.9, 5, 11)
    logits = keras.ops.convert_to_numpy(model(ids))
    np.testing.assert_allclose(served["logits"], logits, atol=1e-5)
    # The `step` signature starts from zeros, which the cell reads as the prior.
    np.testing.assert_allclose(served["stepped_logits"], logits, atol=1e-5)
