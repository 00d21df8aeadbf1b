"""What the sequence-to-sequence families share: pairs, a pair vocabulary, teacher forcing, exact match.

`Seq2SeqFamily` is the base of the families that map a source string to a
target string (the Transformer, the LSTM with attention): a run makes
`(source, target)` pairs (a task of `seq2seq_lm_tasks.py`: dates, punctuation
restoration, or a TSV file), holds out test pairs, builds a `PairVocabulary`,
trains with teacher forcing, and measures the best checkpoint on the test
pairs as its task says. `init_from` starts a run from a trained model's
weights (`seq2seq_lm_transfer.py`). Each model implements the
decoding protocol with the encoder run first (`initial_decoding_state(encoder_ids)`,
`decoding_step`), so beam search and the `translate` signature serve it unchanged.
"""

import time

from kerazoo.data.seq2seq import PairVocabulary
from kerazoo.models import family
from kerazoo.models.seq2seq_lm import seq2seq_lm_export  # noqa: F401  (registers its signature builders)
from kerazoo.models.seq2seq_lm import seq2seq_lm_transfer as transfer
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import SEQ2SEQ_TASKS
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import exact_match
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import load_pairs
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import task_of
from kerazoo.models.family import Family
from kerazoo.models.family import Flag
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags
from kerazoo.models.family import positive_int

# Flat, commented defaults; a training configuration overrides them, the command line overrides both.
SEQ2SEQ_DEFAULTS = {
    "task": "dates",  # dates -> ISO 8601, punctuation (restoration), or a TSV file of "source<TAB>target" lines
    "train_size": 50_000,  # training pairs, 5% of which validate (punctuation: at most; it has 19,967)
    "test_size": 2_000,  # held-out pairs (dates: days never seen in training; punctuation: of 4 held-out plays)
    "init_from": None,  # a preset or run folder whose weights the model starts from (fine-tuning)
    "init_from_parts": "all",  # with init_from: "all" its weights, "encoder" only, or "embeddings" only (see below)
    "epochs": 6,
    "batch_size": 64,
    "optimizer": "adam",  # a kerazoo.optimizers recipe
    "learning_rate": None,
    "clipnorm": 1.0,
    "seed": 0,
    "beam_width": 1,  # test decoding: 1 is greedy search
    "max_minutes": None,
    "verbose": 1,
}

# What `init_from` copies: every weight; the encoder's (the decoder starts fresh); or only the weights indexed by
# characters, the embeddings and the output layer (every block starts fresh).
INIT_FROM_PARTS = ("all", "encoder", "embeddings")

SEQ2SEQ_FLAGS = common_flags(
    "epochs", "batch_size", "optimizer", "learning_rate", "clipnorm", "seed", "max_minutes", "verbose"
) + (
    Flag("task", help=f"one of {sorted(SEQ2SEQ_TASKS)} (default dates), or a TSV file of source<TAB>target lines"),
    Flag("init_from", help="fine-tune: start from the weights of this preset or run folder (same architecture)"),
    Flag("init_from_parts", choices=INIT_FROM_PARTS,
         help="with --init-from: copy all its weights, the encoder's, or the embeddings and output layer only"),
    Flag("train_size", positive_int),
    Flag("test_size", positive_int),
    Flag("beam_width", positive_int, help="test-set decoding; 1 is greedy"),
)



class Seq2SeqFamily(Family):
    """Base of the sequence-to-sequence families (see the module docstring)."""

    defaults = SEQ2SEQ_DEFAULTS
    capabilities = (family.TRANSLATE,)
    signatures = {"serving_default": "pair_logits", "translate": "translate_text"}
    identity = ("family", "model", "model_kwargs", "task", "train_size", "test_size", "init_from", "init_from_parts")
    units = "pairs"
    vocabulary_class = PairVocabulary
    # Weight path -> ("source" or "target", the axis that runs over that vocabulary's ids), for `init_from`;
    # they are also what `init_from_parts="embeddings"` copies.
    vocabulary_weights = {}
    # The prefixes of the encoder's weight paths, for `init_from_parts="encoder"`.
    encoder_weights = ()
    summary_keys = ("test_exact_match", "best_val_loss", "wall_s", "parameters")

    def check_config(self, config, explicit=None, config_training=None):
        family.check_integers(config, ("epochs", "batch_size", "train_size", "test_size", "beam_width"))
        family.check_optimizer(config["optimizer"])
        family.check_positive(config, ("learning_rate", "clipnorm"), allow_none=True)
        family.check_time_budget(config)
        family.check_choice(config, "init_from_parts", INIT_FROM_PARTS)
        if config.get("init_from"):
            source, _ = transfer.load_source(config["init_from"], self)
            inherited = transfer.source_architecture(self.builders[config["model"]], source)
            config["model_kwargs"] = {**inherited, **config["model_kwargs"]}

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        train_pairs, test_pairs = corpus or load_pairs(config)
        source = None
        if config.get("init_from"):
            source = transfer.load_source(config["init_from"], self)
            vocabulary = vocabulary or transfer.extend_vocabulary(source[1], train_pairs)
        if vocabulary is None:
            vocabulary = PairVocabulary.from_pairs(train_pairs)
        longest_target = max(len(t) for _, t in train_pairs + test_pairs) + 1
        validation_count = max(1, len(train_pairs) // 20)
        fit_pairs, validation_pairs = train_pairs[validation_count:], train_pairs[:validation_count]
        return RunData(
            vocabulary=vocabulary,
            train=vocabulary.encode_pairs(fit_pairs, target_length=longest_target),
            validation=vocabulary.encode_pairs(validation_pairs, target_length=longest_target),
            units_per_step=config["batch_size"],
            facts={"train_pairs": len(fit_pairs), "test_pairs": len(test_pairs)},
            extra={"test_pairs": test_pairs, "longest_target": longest_target, "init_source": source},
        )

    def build(self, config, data):
        kwargs = dict(config["model_kwargs"])
        longest_target = data.extra["longest_target"]
        kwargs.setdefault("max_sequence_length", longest_target + 1)
        if kwargs["max_sequence_length"] <= longest_target:
            raise ValueError(
                f"`max_sequence_length` must exceed the longest target plus its end token ({longest_target}). "
                f"Received: max_sequence_length={kwargs['max_sequence_length']}"
            )
        model = self.builders[config["model"]](*self.vocabulary_sizes(data.vocabulary), **kwargs)
        if data.extra.get("init_source") is not None:
            source, source_vocabulary = data.extra["init_source"]
            only = {"all": None, "encoder": self.encoder_weights,
                    "embeddings": tuple(self.vocabulary_weights)}[config["init_from_parts"]]
            transfer.copy_weights(model, source, source_vocabulary, data.vocabulary, self.vocabulary_weights,
                                  config["init_from"], only)
        return model

    def compile(self, model, config, data):
        import keras

        model.compile(
            optimizer=family.recipe_optimizer(config, data.steps_per_epoch, global_clipnorm=config["clipnorm"]),
            loss=family.sparse_logits_loss(ignore_class=0),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )
        return model

    def evaluate(self, model, data, config):
        start = time.monotonic()
        measures = task_of(config).measures(model, data.vocabulary, data.extra["test_pairs"], config)
        return {
            **measures,
            "beam_width": config["beam_width"],
            "test_decode_s": round(time.monotonic() - start, 2),
        }

    # --- Model cards of trained presets ---

    def measure(self, model, vocabulary, spec, folder=None):
        """`exact_match` on the test pairs of `spec["data"]` (a task's settings; `"pairs": N` keeps the first N)."""
        if spec["kind"] != "exact_match":
            return super().measure(model, vocabulary, spec, folder)
        data = dict(spec["data"])
        limit = data.pop("pairs", None)
        _, test_pairs = load_pairs({**SEQ2SEQ_DEFAULTS, **data})
        test_pairs = test_pairs[:limit] if limit else test_pairs
        return {"value": exact_match(model, vocabulary, test_pairs, beam_width=data.get("beam_width", 1)),
                "pairs": len(test_pairs)}

    def example(self, model, vocabulary):
        from kerazoo.generation.translate import translate

        sources = ["Saturday, July 20, 1969", "the 1st of May, 2001", "12/31/1999"]
        return {"input": sources, "output": translate(model, vocabulary, sources)}

    def vocabulary_sizes(self, vocabulary):
        return vocabulary.source.size, vocabulary.target.size

