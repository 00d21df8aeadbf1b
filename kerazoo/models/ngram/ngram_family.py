"""The `ngram` family: character or word n-gram language models, trained by counting.

`kerazoo train ngram --order 4 --unit word` reads a corpus, counts its
n-grams (`fit`: no gradient steps), estimates interpolated Kneser-Ney or
add-k tables into an `NgramLM`, measures held-out perplexity and bits per
character, and prints samples of generated text as the lectures' slide does.
The run folder is the one every family writes (config.json, vocabulary.json,
best.keras, model.keras, metrics.json with `finished`, samples.txt).
"""

import math
import time

import keras
import numpy as np

from kerazoo.data.corpora import load_corpus
from kerazoo.models import family
from kerazoo.models.causal_lm import causal_lm_export  # noqa: F401  (its signatures: token_logits, generate_text)
from kerazoo.models.family import Flag
from kerazoo.models.family import Family
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags
from kerazoo.models.ngram import ngram_counts
from kerazoo.models.ngram.ngram_model import NgramLM
from kerazoo.models.ngram.ngram_model import build_ngram
from kerazoo.models.ngram.ngram_model import check_ngram_arguments
from kerazoo.models.ngram.ngram_vocabulary import UNITS
from kerazoo.models.ngram.ngram_vocabulary import CharVocabulary
from kerazoo.models.ngram.ngram_vocabulary import check_unit
from kerazoo.models.ngram.ngram_vocabulary import load_vocabulary
from kerazoo.models.ngram.ngram_vocabulary import make_vocabulary

# Flat, commented defaults; the command line overrides them.
NGRAM_DEFAULTS = {
    "corpus": "shakespeare",  # "shakespeare", "tiny_shakespeare" or a text file
    "data_dir": None,  # tensorflow-datasets folder
    "validation_split": "heldout",  # validation + test (nanoGPT's val for tiny_shakespeare), or "validation"
    "unit": "char",  # what a token is: "char" or "word" (letters and apostrophes, or one punctuation mark)
    "min_count": 1,  # words: drop words seen fewer times in training (they become [UNK])
    "max_vocab": None,  # words: keep at most this many
    "seed": 0,  # the samples' seed
    "samples": 4,  # samples printed at the end of training, as the lectures' slide shows them
    "sample_length": None,  # tokens per sample; None: 200 characters or 30 words
    "sample_temperature": 1.0,  # the model's own distribution
    "verbose": 1,
}

NGRAM_FLAGS = common_flags("corpus", "data_dir", "validation_split", "seed", "sample_length", "verbose", "min_count",
                           "max_vocab") + (
    Flag("unit", choices=UNITS, help="count characters or words"),
    Flag("samples", family.non_negative_int, help="samples printed at the end of training (0: none)"),
    Flag("sample_temperature", float, help="temperature of the printed samples"),
    # Builder arguments; checked by the builder, so a bad value is refused with its name.
    Flag("order", int, target="model", help="n: the model reads the n - 1 previous tokens (default 3)"),
    Flag("smoothing", target="model", help="kn (default), modified-kn or add-k"),
    Flag("discount", float, target="model", help="Kneser-Ney discount d in (0, 1] (default 0.75)"),
    Flag("k", float, target="model", help="add-k pseudo-count (default 1: Laplace)"),
    Flag("base", target="model", help="uniform (default): the unigram level interpolates with 1/V; none: NLTK's"),
)


def _text_of(vocabulary, ids):
    return vocabulary.decode(ids).lstrip(" ")


class NgramFamily(Family):
    name = "ngram"
    description = "An n-gram language model of characters or words (Kneser-Ney or add-k), trained by counting."
    builders = {"ngram": build_ngram}
    model_classes = (NgramLM,)
    defaults = NGRAM_DEFAULTS
    flags = NGRAM_FLAGS
    capabilities = (family.GENERATE,)
    signatures = {"serving_default": "token_logits", "generate": "generate_text"}
    identity = ("family", "model", "model_kwargs", "corpus", "unit", "validation_split", "min_count", "max_vocab")
    monitor = "val_loss"
    units = "tokens"
    summary_keys = ("best_val_loss", "best_val_bits_per_char", "best_val_perplexity", "parameters", "wall_s")

    # --- Configuration ---

    def check_config(self, config, explicit=None, config_training=None):
        check_unit(config["unit"])
        family.check_integers(config, ("min_count",))
        family.check_integers(config, ("max_vocab", "sample_length"), allow_none=True)
        family.check_integers(config, ("samples",), minimum=0)
        family.check_positive(config, ("sample_temperature",))
        if config["unit"] == "char" and (config["min_count"] != 1 or config["max_vocab"] is not None):
            raise ValueError(
                "`min_count` and `max_vocab` apply to word units only. "
                f"Received: unit='char', min_count={config['min_count']}, max_vocab={config['max_vocab']}"
            )

    def check_model_kwargs(self, model, kwargs):
        super().check_model_kwargs(model, kwargs)
        check_ngram_arguments(**kwargs)

    # --- Data and model ---

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        corpus = corpus or load_corpus(config["corpus"], data_dir=config["data_dir"])
        if vocabulary is None:
            vocabulary = make_vocabulary(config["unit"], corpus.train, config["min_count"], config["max_vocab"])
        validation_text = corpus.split(config["validation_split"])
        train_ids = vocabulary.encode(corpus.train)
        validation_ids = vocabulary.encode(validation_text)
        return RunData(
            vocabulary=vocabulary,
            train=train_ids,
            validation=validation_ids,
            steps_per_epoch=1,
            units_per_step=len(train_ids),
            facts={
                "unit": config["unit"],
                "vocabulary_size": vocabulary.size,
                "corpus_chars": {"train": len(corpus.train), "validation": len(validation_text)},
                "corpus_tokens": {"train": len(train_ids), "validation": len(validation_ids)},
            },
            extra={"validation_chars": len(validation_text), "train_chars": len(corpus.train)},
        )

    def compile(self, model, config, data):
        return model  # no optimizer and no loss: the model is estimated from counts

    def load_vocabulary(self, path):
        return load_vocabulary(path)

    def fit(self, model, data, config, callbacks, initial_epoch=0):
        """Counts the training text's n-grams and estimates the model's tables: one "epoch", no gradient steps.

        The callbacks see what `model.fit` would show them: one batch (the
        counting) and one epoch whose logs hold the training and held-out
        cross-entropy (`loss`, `val_loss`, nats per token), bits per character
        and perplexity.
        """
        callback_list = keras.callbacks.CallbackList(callbacks, model=model)
        vocabulary_size = data.vocabulary.size
        levels = ngram_counts.count_ngrams(data.train, model.order, vocabulary_size)
        unigram, tables = ngram_counts.estimate(levels, vocabulary_size, model.smoothing, model.discount, model.k,
                                                model.base)
        # The weights exist before the callbacks start (BackupAndRestore needs a built model).
        model.set_tables(unigram, tables, ngram_counts.stored_counts(levels, model.smoothing))
        callback_list.on_train_begin()
        callback_list.on_epoch_begin(initial_epoch)
        callback_list.on_train_batch_begin(0)
        train_nats = -float(np.sum(model.log_probabilities(data.train)))
        callback_list.on_train_batch_end(0, {"loss": train_nats / len(data.train)})
        val_nats = -float(np.sum(model.log_probabilities(data.validation)))
        logs = {
            "loss": train_nats / len(data.train),
            "bits_per_char": family.bits(train_nats / data.extra["train_chars"]),
            "val_loss": val_nats / len(data.validation),
            "val_bits_per_char": family.bits(val_nats / data.extra["validation_chars"]),
            "val_perplexity": math.exp(val_nats / len(data.validation)),
        }
        callback_list.on_epoch_end(initial_epoch, logs)
        callback_list.on_train_end(logs)
        data.extra["samples"] = self.print_samples(model, data.vocabulary, config)
        return {key: [value] for key, value in logs.items()}

    def print_samples(self, model, vocabulary, config):
        """Samples from the start of a text, printed as the lectures' slide shows them."""
        count = config.get("samples", 0)
        if not count:
            return []
        length = config.get("sample_length") or (200 if isinstance(vocabulary, CharVocabulary) else 30)
        temperature = config.get("sample_temperature", 1.0)
        texts = [self.sample(model, vocabulary, "", length, temperature, config["seed"] + i) for i in range(count)]
        unit = "character" if isinstance(vocabulary, CharVocabulary) else "word"
        print(f"----- {count} samples of the {model.order}-gram {unit} model "
              f"(temperature {temperature}, seeds {config['seed']}..{config['seed'] + count - 1}) -----", flush=True)
        for text in texts:
            print(text.replace("\n", " / ") if unit == "word" else text, flush=True)
            print("--", flush=True)
        return texts

    def evaluate(self, model, data, config):
        nats = -float(np.sum(model.log_probabilities(data.validation)))
        tokens, chars = len(data.validation), data.extra["validation_chars"]
        counted = self.parameter_count(model)
        return {
            "heldout": {
                "split": config["validation_split"],
                "nats_per_token": nats / tokens,
                "perplexity": math.exp(nats / tokens),
                "nats_per_char": nats / chars,
                "bits_per_char": family.bits(nats / chars),
                "tokens": tokens,
                "characters": chars,
                "oov_rate": float(np.mean(np.asarray(data.validation) == 0)),
            },
            "parameters": counted["count"],
            "parameters_kind": counted["kind"],
            "weights": model.count_params(),
            "distinct_contexts": [1] + list(model.table.table_sizes["contexts"]),
        }

    def finish_run(self, output, model, data, config):
        import os

        samples = data.extra.get("samples") or []
        if samples:
            with open(os.path.join(output, "samples.txt"), "a", encoding="utf-8") as f:
                f.write(f"----- samples at the end of training, {time.strftime('%Y-%m-%d %H:%M:%S')} -----\n")
                f.write("".join(text + "\n--\n" for text in samples))

    # --- What it does ---

    def sample(self, model, vocabulary, prompt, length, temperature=0.8, seed=0, top_k=0, top_p=1.0):
        """`length` tokens after `prompt` ("" starts at the beginning of a text), from the shared decoding loop."""
        from kerazoo.generation.text import compiled_decoder
        from kerazoo.generation.text import encode_prompts

        if prompt:
            ids, lengths = encode_prompts(vocabulary, [prompt])
        else:
            ids, lengths = np.zeros((1, 1), np.int32), np.ones((1,), np.int32)  # id 0 is the padding before a text
        tokens = compiled_decoder(model)(ids, lengths, length, temperature, top_k, top_p, seed)
        continuation = tokens[0, lengths[0] : lengths[0] + length]
        return prompt + (vocabulary.decode(continuation) if prompt else _text_of(vocabulary, continuation))

    def measure(self, model, vocabulary, spec, folder=None):
        """`streamed_loss`: the text of `spec["data"]` (see `heldout_text`) read as one stream.

        Returns `value` in nats per character, `bits_per_char`, `perplexity`
        (per token: per character, or per word), `nats_per_token`, and the counts.
        """
        if spec["kind"] != "streamed_loss":
            return super().measure(model, vocabulary, spec, folder)
        from kerazoo.models.causal_lm import heldout_text

        text = heldout_text(spec["data"])
        ids = vocabulary.encode(text)
        nats = -float(np.sum(model.log_probabilities(ids)))
        return {
            "value": nats / len(text),
            "bits_per_char": family.bits(nats / len(text)),
            "perplexity": math.exp(nats / len(ids)),
            "nats_per_token": nats / len(ids),
            "tokens": len(ids),
            "characters": len(text),
            "unit": "char" if isinstance(vocabulary, CharVocabulary) else "word",
        }

    def parameter_count(self, model):
        return {"count": model.stored_counts, "kind": "stored counts"}

    def serving_model(self, model, vocabulary):
        if not model.trained:
            raise ValueError("This n-gram model holds no counts yet: train it before exporting it.")
        return model

    def export_info(self, served):
        sizes = served.table.table_sizes
        return {**super().export_info(served), "order": served.order, "smoothing": served.smoothing, "stored_counts": sizes["stored_counts"],
                "table_bytes": int(sum(int(np.prod(v.shape)) * 4 for v in served.weights))}

    def distinct_contexts(self, text, order, unit="char"):
        """Distinct contexts per order (see `ngram_counts.distinct_contexts`)."""
        return ngram_counts.distinct_contexts(text, order, unit)


NGRAM_FAMILY = NgramFamily()
