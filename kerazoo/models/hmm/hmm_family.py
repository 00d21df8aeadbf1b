"""The hmm family: a categorical hidden Markov model of characters, fit by Baum-Welch or by gradient descent.

The model (`hmm_model.py`) is the scaled forward algorithm as a Keras RNN
cell, so it is a character language model like the char RNNs: same corpus,
vocabulary, windows, loss, bits/char and decoding loop (`CausalLMFamily`).
What differs is the fit step, chosen by `fit`:

- `"em"`: Baum-Welch (`hmm_em.py`). One epoch is one EM iteration over the
  whole training text, cut into chunks of `seq_length` characters; the
  family's `fit` replaces `model.fit` and calls the run's callbacks as `fit`
  would, so the run folder, the best checkpoint, the time budget and resume
  work unchanged.
- `"gradient"`: `model.fit` on the softmax logits with the optimizer recipe,
  on windows of `seq_length` characters, each read from the prior.

Both report the same validation loss (`model.evaluate` on the same windows).
"""

import math

import keras
import numpy as np

from kerazoo.data.corpora import load_corpus
from kerazoo.models import family
from kerazoo.models.causal_lm import CAUSAL_LM_DEFAULTS
from kerazoo.models.causal_lm import CAUSAL_LM_FLAGS
from kerazoo.models.causal_lm import CausalLMFamily
from kerazoo.models.causal_lm import heldout_text
from kerazoo.models.family import Flag
from kerazoo.models.hmm import hmm_em
from kerazoo.models.hmm.hmm_model import HMMLanguageModel
from kerazoo.models.hmm.hmm_model import build_hmm
from kerazoo.models.hmm.hmm_configs import HMM_CONFIGS

FIT_CHOICES = ("em", "gradient")

# Flat, commented defaults on top of every character LM's.
HMM_DEFAULTS = {
    **CAUSAL_LM_DEFAULTS,
    "fit": "em",  # "em" (Baum-Welch, one iteration per epoch) or "gradient" (model.fit)
    "seq_length": 200,  # characters per window (gradient) or per independent chunk (EM)
    "batch_size": 128,  # windows per step (gradient) and per validation batch (both)
    "learning_rate": 0.03,  # gradient only: Adam on the logits
    "epochs": 20,
    "sample_every": 0,  # EM makes one step per epoch: sample with `kerazoo generate` instead
    "em_dtype": "float32",  # EM's forward-backward precision ("float64" for the cross-checks)
}

# Settings that mean nothing to Baum-Welch: asking for one with fit=em is refused, not ignored.
GRADIENT_ONLY = ("optimizer", "learning_rate", "clipnorm", "clipvalue", "steps_per_epoch",
                 "sampling", "steps_per_execution", "jit_compile", "pipeline")


class HMMFamily(CausalLMFamily):
    name = "hmm"
    description = "A categorical hidden Markov model of characters: the forward algorithm as an RNN, fit by EM or gradient."
    builders = {"hmm": build_hmm}
    model_classes = (HMMLanguageModel,)
    configs = HMM_CONFIGS
    defaults = HMM_DEFAULTS
    default_model = "hmm"
    flags = CAUSAL_LM_FLAGS + (
        Flag("states", int, target="model", help="hidden states K"),
        Flag("fit", choices=FIT_CHOICES, help="em: Baum-Welch, one iteration per epoch; gradient: model.fit"),
    )
    # The filter is the decoding state; the shared `step` signature starts it from zeros (the prior).
    signatures = {**CausalLMFamily.signatures, "step": "decoding_steps"}
    identity = CausalLMFamily.identity + ("fit",)
    summary_keys = ("best_val_loss", "best_val_bpc", "steps", "wall_s", "parameters")

    def check_config(self, config, explicit=None, config_training=None):
        explicit = explicit or {}
        family.check_choice(config, "fit", FIT_CHOICES)
        family.check_choice(config, "em_dtype", ("float32", "float64"))
        states = config["model_kwargs"].get("states", 64)
        if isinstance(states, bool) or not isinstance(states, int) or states < 1:
            raise ValueError(f"`states` must be an integer >= 1. Received: states={states!r}")
        if config["fit"] == "em":
            refused = sorted(key for key in GRADIENT_ONLY if key in explicit)
            if refused:
                raise ValueError(
                    f"{', '.join(f'`{key}`' for key in refused)} does not apply to fit='em' (Baum-Welch has no "
                    f"optimizer and reads all the training text every epoch). "
                    f"Received: {', '.join(f'{key}={explicit[key]!r}' for key in refused)}"
                )
            if config["distribute"] != "none":
                raise ValueError(f"fit='em' runs on one process. Received: distribute={config['distribute']!r}")
        elif "em_dtype" in explicit:
            raise ValueError(f"`em_dtype` applies to fit='em' only. Received: em_dtype={explicit['em_dtype']!r}")
        super().check_config(config, explicit, config_training)

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        corpus = corpus or load_corpus(config["corpus"], data_dir=config["data_dir"])
        data = super().prepare(config, vocabulary, initial_epoch=initial_epoch, replicas=replicas, corpus=corpus)
        train_ids = data.vocabulary.encode(corpus.train)
        data.extra["unigram"] = np.bincount(train_ids, minlength=data.vocabulary.size) / len(train_ids)
        if config["fit"] == "em":
            data.extra["train_chunks"] = hmm_em.chunk_ids(train_ids, config["seq_length"])
            data.units_per_step = len(train_ids)  # one EM iteration reads the whole text
            data.steps_per_epoch = 1
        return data

    def build(self, config, data):
        """The HMM, its emissions started near the training text's character frequencies.

        Each state's emission logits are log p(v) plus the random initial logits
        (standard deviation 1), so that every state starts near the unigram
        model and the states still differ: both EM and gradient descent then
        spend their first steps on structure, not on learning the frequencies.
        """
        model = super().build(config, data)
        if data.extra.get("unigram") is None:
            return model  # data not made by `prepare`: the random start alone
        unigram = np.maximum(data.extra["unigram"], 1e-6)
        cell = model.cell
        cell.emission_logits.assign(
            keras.ops.convert_to_numpy(cell.emission_logits) + np.log(unigram).astype("float32")[None, :])
        return model

    def fit(self, model, data, config, callbacks, initial_epoch=0):
        """`model.fit` for fit='gradient'; Baum-Welch for fit='em', one iteration per epoch.

        The EM loop calls the callbacks as `model.fit` does: `BackupAndRestore`
        restores the parameters and the epoch in `on_train_begin` (so a killed
        run resumes), and saves them after every iteration.
        """
        if config["fit"] == "gradient":
            return super().fit(model, data, config, callbacks, initial_epoch)
        dtype = np.dtype(config["em_dtype"])

        def em_iteration(epoch):
            parameters = model.probabilities()
            new, log_likelihood, characters = hmm_em.baum_welch_step(
                data.extra["train_chunks"], *parameters, dtype=dtype)
            model.set_probabilities(*new)
            # The training loss of this epoch is that of the parameters the E-step read (EM never raises it).
            loss = -log_likelihood / characters
            return {"loss": loss, "bpc": loss / math.log(2.0)}

        def validate(epoch):
            if data.validation is None:
                return {}
            scores = model.evaluate(data.validation, steps=data.validation_steps, verbose=0, return_dict=True)
            return {f"val_{key}": float(value) for key, value in scores.items()}

        def report(epoch, logs):
            if config.get("verbose", 1):
                print(f"EM iteration {epoch + 1}/{config['epochs']}: "
                      + " ".join(f"{key}={value:.4f}" for key, value in logs.items()), flush=True)

        # The optimizer is unused by EM; `fit_epochs` builds it, so that checkpoints hold what a gradient fit's would.
        return self.fit_epochs(model, callbacks, config["epochs"], initial_epoch, em_iteration, validate, report)

    def measure(self, model, vocabulary, spec, folder=None):
        """Also `streamed_loss`: nats/char over the held-out text, read as one stream with the filter carried.

        Every character but the first is predicted from all the text before it
        (the first from the prior), as the char RNNs' `streamed_loss` reads it.
        """
        if spec["kind"] != "streamed_loss":
            return super().measure(model, vocabulary, spec, folder)
        ids = vocabulary.encode(heldout_text(spec["data"]))
        loss = streamed_loss(model, ids)
        return {"value": loss, "bits_per_char": family.bits(loss), "characters": len(ids) - 1}

    def evaluate(self, model, data, config):
        """The held-out split read as one stream (`streamed_loss`), beside the windowed `val_loss`."""
        ids = data.extra["validation_ids"]
        loss = streamed_loss(model, ids)
        return {"streamed_val_loss": loss, "streamed_val_bpc": family.bits(loss)}


def streamed_loss(model, ids, chunk=4096):
    """Mean next-character cross-entropy (nats) of `ids[1:]` given all the characters before each.

    One stream, read `chunk` characters per call with the filter carried; the
    HMM's state is a distribution, so nothing is lost between calls.
    """
    ids = np.asarray(ids, dtype=np.int32)
    if len(ids) < 2:
        raise ValueError(f"`ids` must hold at least 2 characters. Received: {len(ids)}")
    state = np.zeros((1, model.states), dtype="float32")  # the zero state: the prior
    total = 0.0
    for start in range(0, len(ids) - 1, chunk):
        inputs = ids[start : min(start + chunk, len(ids) - 1)][None, :]
        targets = ids[start + 1 : start + 1 + inputs.shape[1]][None, :]
        # The streaming call `[ids, state] -> [log_probs, state]`, compiled by `predict_on_batch`.
        log_probs, state = model.predict_on_batch([inputs, state])
        picked = np.take_along_axis(np.asarray(log_probs), targets[..., None], axis=-1)
        total -= float(picked.astype(np.float64).sum())
    return total / (len(ids) - 1)


HMM_FAMILY = HMMFamily()
