"""The t5 family: the encoder-decoder Transformer, pretrained by T5's span corruption on the plays.

The model is the transformer family's (`build_transformer`); what differs is
the task. A run cuts the plays' speeches into chunks of at most
`chunk_characters` characters (`t5_data.py`), holds out the four plays of
`kerazoo.data.punctuation.TEST_PLAYS` whole, and trains the model to write
the spans that span corruption dropped, each after its sentinel, drawing new
spans for every chunk at every pass. 5% of the training chunks, corrupted
once, validate; the held-out plays' chunks, corrupted once from seed 0, are
measured after training: the loss per target character
(`span_corruption_loss`, the preset's card) and the share of chunks whose
spans greedy decoding writes exactly (`sentinel_exact_match`). With
`span_targets="original"` the decoder writes the whole chunk instead of its
spans (MASS's objective, on the same corrupted inputs).

A trained t5 model fine-tunes on any sequence-to-sequence task through the
other families' `init_from` setting:

    kerazoo train t5 --config plays-t5
    kerazoo train transformer --task punctuation --init-from plays-t5
"""

import time

import numpy as np

from kerazoo.data.seq2seq import END
from kerazoo.data.seq2seq import START
from kerazoo.data.seq2seq import PairVocabulary
from kerazoo.data.span_corruption import add_sentinels
from kerazoo.data.span_corruption import check_noise
from kerazoo.data.span_corruption import corrupt_text
from kerazoo.data.span_corruption import sentinel_characters
from kerazoo.data.span_corruption import to_sentinel_names
from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.models import family
from kerazoo.models.family import Flag
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags
from kerazoo.models.family import positive_int
from kerazoo.models.seq2seq_lm import SEQ2SEQ_DEFAULTS
from kerazoo.models.seq2seq_lm import exact_match
from kerazoo.models.seq2seq_lm import teacher_forced_loss
from kerazoo.models.t5 import t5_data
from kerazoo.models.t5.t5_configs import T5_CONFIGS
from kerazoo.models.transformer.transformer_builders import build_transformer
from kerazoo.models.transformer.transformer_family import TransformerFamily

T5_DEFAULTS = {
    **{key: value for key, value in SEQ2SEQ_DEFAULTS.items() if key not in ("task", "train_size", "init_from")},
    "chunk_characters": 128,  # the plays cut into chunks of at most this many characters, on word boundaries
    "noise_density": 0.15,  # the share of words dropped (T5's)
    "mean_span_length": 3.0,  # the mean units per dropped span (T5's)
    "span_units": "words",  # what a span is made of: "words", or "characters" (the model's tokens)
    "span_targets": "spans",  # what the decoder writes: "spans" (T5's), or "original" (the whole chunk, as MASS)
    "steps_per_epoch": None,  # None: the training chunks over the batch size (one pass)
    "test_size": 500,  # held-out chunks whose spans are decoded for `sentinel_exact_match` (the loss takes all)
}

# The slide's sentence (Raffel et al. 2020, figure 2) and a line of Macbeth, a held-out play, with their spans fixed.
EXAMPLES = (
    ("Thank you for inviting me to your party last week.", [0, 0, 1, 1, 0, 0, 0, 0, 1, 0]),
    ("Tomorrow, and tomorrow, and tomorrow, Creeps in this petty pace from day to day", [0] * 8 + [1, 1] + [0] * 4),
)


def t5_vocabulary(chunks, sentinels):
    """The `PairVocabulary` of a t5 run: the chunks' characters and the sentinels on both sides."""
    source = add_sentinels(CharVocabulary.from_text("".join(chunks)), sentinels)
    return PairVocabulary(source, CharVocabulary(source.characters + [START, END]))


def held_out(data):
    """`(input, target)` pairs of the held-out plays, corrupted once, for a measure's `data` settings."""
    settings = {**T5_DEFAULTS, **data}
    check_noise(settings["noise_density"], settings["mean_span_length"])
    chunks = t5_data.play_chunks(t5_data.plays_texts()[1], settings["chunk_characters"])
    return _held_out_pairs(chunks, settings)


def _noise(config):
    """The corruption settings of a run or a measure: `(noise_density, mean_span_length, span_units)`."""
    return config["noise_density"], config["mean_span_length"], config["span_units"]


def _held_out_pairs(chunks, config):
    sentinels = t5_data.sentinels_for(chunks, *_noise(config))
    return t5_data.corrupted_pairs(chunks, sentinels, 0, *_noise(config), span_targets=config["span_targets"])


class T5Family(TransformerFamily):
    name = "t5"
    description = "The encoder-decoder Transformer pretrained by T5's span corruption (Raffel et al., 2020)."
    builders = {"t5": build_transformer}
    configs = T5_CONFIGS
    defaults = T5_DEFAULTS
    flags = common_flags(
        "epochs", "steps_per_epoch", "batch_size", "optimizer", "learning_rate", "clipnorm", "seed", "max_minutes",
        "verbose", "num_layers", "num_heads", "hidden_dim", "dropout",
    ) + (
        Flag("chunk_characters", positive_int, help="the plays cut into chunks of at most this many characters"),
        Flag("noise_density", float, help="the share of units dropped (0.15)"),
        Flag("mean_span_length", float, help="the mean units per dropped span (3)"),
        Flag("span_units", choices=t5_data.SPAN_UNITS, help="what a span is made of (words)"),
        Flag("span_targets", choices=t5_data.SPAN_TARGETS,
             help="what the decoder writes: the dropped spans (T5's), or the original chunk (MASS's)"),
        Flag("test_size", positive_int, help="held-out chunks decoded for the sentinel exact match"),
        Flag("beam_width", positive_int, help="test-set decoding; 1 is greedy"),
        Flag("normalize_first", switch=True, target="model",
             help="pre-LN blocks, with a final layer norm on each side (the paper's are post-LN)"),
    )
    identity = ("family", "model", "model_kwargs", "chunk_characters", "noise_density", "mean_span_length",
                "span_units", "span_targets")
    summary_keys = ("test_loss", "test_exact_match", "best_val_loss", "wall_s", "parameters")

    def check_config(self, config, explicit=None, config_training=None):
        family.check_integers(config, ("epochs", "batch_size", "chunk_characters", "test_size", "beam_width"))
        family.check_integers(config, ("steps_per_epoch",), allow_none=True)
        check_noise(config["noise_density"], config["mean_span_length"])
        t5_data.check_span_units(config["span_units"])
        t5_data.check_span_targets(config["span_targets"])
        family.check_optimizer(config["optimizer"])
        family.check_positive(config, ("learning_rate", "clipnorm"), allow_none=True)
        family.check_time_budget(config)

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        """`corpus`, if given, is `(train texts, test texts)` in place of the plays."""
        train_texts, test_texts = corpus or t5_data.plays_texts()
        chunks = t5_data.play_chunks(train_texts, config["chunk_characters"])
        if len(chunks) < 2:
            raise ValueError(
                f"The training texts must make at least 2 chunks of at most `chunk_characters` characters (one "
                f"validates). Received: {len(chunks)} chunk with chunk_characters={config['chunk_characters']}"
            )
        test_chunks = t5_data.play_chunks(test_texts, config["chunk_characters"])
        noise = _noise(config)
        sentinels = t5_data.sentinels_for(chunks + test_chunks, *noise)
        order = np.random.default_rng(config["seed"]).permutation(len(chunks))
        validation_count = max(1, len(chunks) // 20)
        validation_chunks = [chunks[i] for i in np.sort(order[:validation_count])]
        fit_chunks = [chunks[i] for i in np.sort(order[validation_count:])]
        if vocabulary is None:
            vocabulary = t5_vocabulary(chunks, sentinels)
        targets = config["span_targets"]
        target_length = t5_data.longest_target(chunks + test_chunks, *noise, span_targets=targets) + 1
        batch_size = config["batch_size"]
        train = t5_data.span_corruption_batches(
            fit_chunks, vocabulary, sentinels, config["seed"] * 1000 + initial_epoch, batch_size,
            config["chunk_characters"], target_length, *noise, span_targets=targets,
        )
        validation_pairs = t5_data.corrupted_pairs(validation_chunks, sentinels, config["seed"] + 1, *noise,
                                                   span_targets=targets)
        return RunData(
            vocabulary=vocabulary,
            train=train,
            validation=vocabulary.encode_pairs(validation_pairs, target_length=target_length),
            steps_per_epoch=config["steps_per_epoch"] or max(1, len(fit_chunks) // batch_size),
            units_per_step=batch_size,
            facts={"train_chunks": len(fit_chunks), "validation_chunks": len(validation_chunks),
                   "test_chunks": len(test_chunks), "sentinels": sentinels},
            extra={"test_pairs": _held_out_pairs(test_chunks, config), "longest_target": target_length},
        )

    def evaluate(self, model, data, config):
        start = time.monotonic()
        pairs = data.extra["test_pairs"]
        return {
            "test_loss": teacher_forced_loss(model, data.vocabulary, pairs),
            "test_exact_match": exact_match(model, data.vocabulary, pairs[: config["test_size"]],
                                            beam_width=config["beam_width"]),
            "beam_width": config["beam_width"],
            "test_decode_s": round(time.monotonic() - start, 2),
        }

    # --- Model cards of trained presets ---

    def measure(self, model, vocabulary, spec, folder=None):
        """On the held-out plays' chunks (`spec["data"]`: the run's chunking and noise; `"chunks": N` keeps N).

        `span_corruption_loss`: nats per target character, given the true ones before it;
        `sentinel_exact_match`: the share of chunks whose target greedy decoding writes exactly.
        """
        data = dict(spec["data"])
        limit = data.pop("chunks", None)
        pairs = held_out(data)[:limit] if limit else held_out(data)
        if spec["kind"] == "span_corruption_loss":
            return {"value": teacher_forced_loss(model, vocabulary, pairs), "chunks": len(pairs)}
        if spec["kind"] == "sentinel_exact_match":
            return {"value": exact_match(model, vocabulary, pairs), "chunks": len(pairs)}
        raise ValueError(f"The {self.name} family has no measure {spec.get('kind')!r}.")

    def example(self, model, vocabulary):
        from kerazoo.generation.translate import translate

        characters = sentinel_characters(3)
        sources = [corrupt_text(text, mask=mask, sentinels=characters)[0] for text, mask in EXAMPLES]
        return {"input": [to_sentinel_names(s) for s in sources],
                "output": [to_sentinel_names(t) for t in translate(model, vocabulary, sources)]}


T5_FAMILY = T5Family()
