"""The elmo family: ELMo's character-CNN biLM and the contextual embedder around it.

The biLM is in `elmo_bilm.py`, the embedder (TF-Hub's outputs) in
`elmo_embedder.py`, the presets in `elmo_configs.py`; this family object
trains the biLM on whole plays with held-out plays
(`elmo_data.py`), scores forward and backward perplexity, and exports
the embedder.
"""

import time

import numpy as np

from kerazoo.models import family
from kerazoo.models.elmo import elmo_export  # noqa: F401  (registers ELMo's signature builders)
from kerazoo.models.elmo.elmo_bilm import ElmoBiLM
from kerazoo.models.elmo.elmo_builders import build_elmo
from kerazoo.models.elmo.elmo_data import DEFAULT_VALIDATION_PLAYS
from kerazoo.models.elmo.elmo_data import TEXT_FORMS
from kerazoo.models.elmo.elmo_data import TokenStream
from kerazoo.models.elmo.elmo_data import check_text
from kerazoo.models.elmo.elmo_data import load_sentences
from kerazoo.models.elmo.elmo_data import make_bilm_dataset
from kerazoo.models.elmo.elmo_embedder import ElmoEmbedder
from kerazoo.models.elmo.elmo_configs import ELMO_CONFIGS
from kerazoo.models.elmo.elmo_vocabulary import BilmVocabulary
from kerazoo.models.family import Family
from kerazoo.models.family import Flag
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags
from kerazoo.models.family import positive_int

# Flat, commented defaults; a training configuration overrides them, the command line overrides both.
ELMO_DEFAULTS = {
    "corpus": "shakespeare",  # the embedded plays, or a text file with one sentence per line
    "validation_plays": list(DEFAULT_VALIDATION_PLAYS),  # held out whole (the embedded plays only)
    "text": "cased",  # "cased": words and marks as written; "plain": lowercased words without marks
    "max_vocab": None,  # softmax words, most frequent first; None keeps every word
    "min_count": 1,  # a word needs this many training occurrences to get a softmax id
    "seq_length": 20,  # tokens per window (bilm-tf's unroll_steps)
    "batch_size": 128,
    "epochs": 10,
    "steps_per_epoch": None,  # None: one pass over the training windows
    "validation_steps": None,  # batches validated after each epoch; None: all of them
    "optimizer": "bilm_adagrad",  # a kerazoo.optimizers recipe
    "learning_rate": None,  # None: the recipe's
    "clipnorm": None,  # global gradient norm; None: the recipe's
    "seed": 0,
    "max_minutes": None,  # stop training after this much wall time
    "pipeline": "auto",  # "tf", "numpy", or "auto" (tf.data on TensorFlow)
    "verbose": 1,
}



class ElmoFamily(Family):
    name = "elmo"
    description = "ELMo: a character-CNN biLM and its contextual word vectors."
    builders = {"elmo": build_elmo}
    model_classes = (ElmoBiLM, ElmoEmbedder)
    configs = ELMO_CONFIGS
    defaults = ELMO_DEFAULTS
    # The original ELMo (93.6M weights) does not fit a 2-core laptop; it is one `--preset` away.
    default_config = "elmo-small"
    flags = common_flags(
        "corpus", "epochs", "steps_per_epoch", "validation_steps", "batch_size", "seq_length", "optimizer",
        "learning_rate", "clipnorm", "seed", "max_minutes", "pipeline", "verbose", "min_count", "max_vocab",
        "num_layers", "dropout",
    ) + (
        Flag("text", choices=TEXT_FORMS, help="plain: train on lowercased words without marks"),
        Flag("num_samples", int, target="model", help="sampled-softmax words per step; 0 is the full softmax"),
        Flag("projection_dim", positive_int, target="model"),
        Flag("lstm_units", positive_int, target="model"),
    )
    capabilities = (family.EMBED,)
    signatures = {"serving_default": "elmo_characters", "embed": "elmo_sentences"}
    identity = ("family", "model", "model_kwargs", "corpus", "validation_plays", "text", "seq_length", "max_vocab",
                "min_count")
    units = "tokens"
    vocabulary_class = BilmVocabulary
    summary_keys = ("validation_forward_perplexity", "validation_backward_perplexity", "train_tokens_per_s",
                    "steps", "parameters")

    def check_config(self, config, explicit=None, config_training=None):
        family.check_optimizer(config["optimizer"])
        family.check_integers(config, ("seq_length", "batch_size", "epochs", "min_count"))
        for name in ("max_vocab", "steps_per_epoch", "validation_steps", "learning_rate", "clipnorm"):
            if config[name] is not None and not config[name] > 0:
                raise ValueError(f"`{name}` must be > 0 or None. Received: {name}={config[name]!r}")
        family.check_time_budget(config)
        check_text(config["text"])

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        train_sentences, validation_sentences = corpus or load_sentences(
            config["corpus"], config["validation_plays"], config["text"]
        )
        if vocabulary is None:
            vocabulary = BilmVocabulary.from_tokens(
                (token for sentence in train_sentences for token in sentence),
                max_size=config["max_vocab"],
                min_count=config["min_count"],
            )
        max_characters = config["model_kwargs"].get("max_characters", 50)
        train_stream = TokenStream.from_sentences(train_sentences, vocabulary, max_characters)
        validation_stream = TokenStream.from_sentences(validation_sentences, vocabulary, max_characters)
        seq_length, batch_size = config["seq_length"], config["batch_size"]
        validation_batches = -(-len(validation_stream.windows(seq_length)) // batch_size)
        return RunData(
            vocabulary=vocabulary,
            train=make_bilm_dataset(
                train_stream, seq_length, batch_size, shuffle=True, repeat=True,
                seed=config["seed"] + 1_000_003 * initial_epoch, pipeline=config["pipeline"],
            ),
            validation=make_bilm_dataset(
                validation_stream, seq_length, batch_size, shuffle=False, pipeline=config["pipeline"]
            ),
            steps_per_epoch=config["steps_per_epoch"] or max(1, len(train_stream.windows(seq_length)) // batch_size),
            validation_steps=min(config["validation_steps"] or validation_batches, validation_batches),
            units_per_step=seq_length * batch_size,
            facts={
                "vocabulary_size": vocabulary.size,
                "train_tokens": len(train_stream),
                "validation_unknown_rate": round(validation_stream.unknown_rate(), 4),
            },
            extra={"validation_stream": validation_stream},
        )

    def build(self, config, data):
        kwargs = dict(config["model_kwargs"])
        if kwargs.get("num_samples", 0) >= data.vocabulary.size:
            # Sampling as many words as the vocabulary holds saves nothing: use the full softmax.
            kwargs["num_samples"] = 0
        return build_elmo(data.vocabulary.size, seed=config["seed"], **kwargs)

    def compile(self, model, config, data):
        clipping = {} if config["clipnorm"] is None else {"global_clipnorm": config["clipnorm"]}
        model.compile(optimizer=family.recipe_optimizer(config, data.steps_per_epoch, **clipping))
        return model

    def evaluate(self, model, data, config):
        start = time.monotonic()
        heldout = evaluate_perplexity(
            model, data.extra["validation_stream"], config["seq_length"], config["batch_size"], config["pipeline"]
        )
        return {
            "softmax_parameters": int(model.softmax.count_params()),
            "softmax": f"sampled ({model.num_samples} words)" if model.num_samples else "full",
            "validation_tokens": heldout["tokens"],
            "validation_forward_perplexity": heldout["forward_perplexity"],
            "validation_backward_perplexity": heldout["backward_perplexity"],
            "evaluation_s": round(time.monotonic() - start, 1),
        }

    # --- Model cards of trained presets ---

    def measure(self, model, vocabulary, spec, folder=None):
        """`perplexity`: forward and backward perplexity (full softmax) on held-out plays.

        `spec["data"]`: `validation_plays`, `seq_length`, `batch_size`, and
        `"sentences": N` to read only their first N sentences. The value is the
        larger of the two directions.
        """
        if spec["kind"] != "perplexity":
            return super().measure(model, vocabulary, spec, folder)
        data = spec["data"]
        _, sentences = load_sentences("shakespeare", data["validation_plays"], data.get("text", "cased"))
        sentences = sentences[: data["sentences"]] if data.get("sentences") else sentences
        stream = TokenStream.from_sentences(sentences, vocabulary, model.max_characters)
        result = evaluate_perplexity(model, stream, data["seq_length"], data["batch_size"])
        return {"value": max(result["forward_perplexity"], result["backward_perplexity"]), **result}

    def embed(self, model, vocabulary, texts, **options):
        """Each whitespace-tokenised sentence's `default` vector (the mean of its ELMo vectors)."""
        if options:
            raise ValueError(f"{', '.join('--' + name for name in options)} applies to word vectors; ELMo embeds "
                             f"whole sentences. Received: {options}")
        outputs = self.serving_model(model, vocabulary).embed(texts)
        return [{"sentence": text, "vector": [round(float(v), 6) for v in vector]}
                for text, vector in zip(texts, outputs["default"])]

    def example(self, model, vocabulary):
        """How alike ELMo finds one word in two sentences, and how alike its context-free vectors are."""
        embedder = self.serving_model(model, vocabulary)
        sentences = ["But soft , what light through yonder window breaks ?",
                     "Light , seeking light , doth light of light beguile ;"]
        outputs = embedder.embed(sentences)
        first, second = outputs["elmo"][0, 4], outputs["elmo"][1, 2]
        cosine = float(np.dot(first, second) / (np.linalg.norm(first) * np.linalg.norm(second)))
        return {"input": sentences, "output": {"word": "light (5th token, 3rd token)", "elmo_cosine": round(cosine, 4)}}

    def serving_model(self, model, vocabulary):
        if isinstance(model, ElmoEmbedder):
            return model
        return ElmoEmbedder(model, name="elmo_embedder")

def evaluate_perplexity(model, stream, seq_length, batch_size, pipeline="auto"):
    """Forward and backward perplexity (full softmax) of `model` over every window of `stream`."""
    data = make_bilm_dataset(stream, seq_length, batch_size, shuffle=False, pipeline=pipeline)
    if not model.compiled:
        model.compile(optimizer="sgd")
    result = model.evaluate(data, verbose=0, return_dict=True)
    return {
        "forward_perplexity": float(result["forward_perplexity"]),
        "backward_perplexity": float(result["backward_perplexity"]),
        "tokens": int(len(stream.windows(seq_length)) * seq_length),
    }


ELMO_FAMILY = ElmoFamily()
