"""What every character-level language-model family shares: a corpus, a vocabulary, windows, bits/char.

`CausalLMFamily` is the base of the families whose models read character ids
and predict the next one (char RNNs, the GPT, and any new character LM): a
run reads a corpus split three ways (`kerazoo.data.corpora`), builds a
`CharVocabulary` from the training text, cuts it into windows
(`kerazoo.data.pipeline`), and trains with cross-entropy, accuracy and
bits/character. Each model implements the decoding protocol
(`initial_decoding_state`, `decoding_step`), so the shared decoding loop and
the `generate` signature serve it unchanged.
"""

import math

import keras
from keras import ops

from kerazoo import optimizers
from kerazoo.data.corpora import load_corpus
from kerazoo.data.pipeline import make_dataset
from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.models import family
from kerazoo.models.causal_lm import causal_lm_export  # noqa: F401  (registers its signature builders)
from kerazoo.models.family import Family
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags


@keras.saving.register_keras_serializable(package="kerazoo")
class BitsPerCharacter(keras.metrics.Mean):
    """Mean next-token cross-entropy in bits: loss in nats / ln 2.

    Args:
        from_logits: bool. Whether predictions are logits.
    """

    def __init__(self, name="bpc", from_logits=True, **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits = from_logits

    def update_state(self, y_true, y_pred, sample_weight=None):
        nats = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)
        return super().update_state(ops.divide(nats, math.log(2.0)), sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


# Flat, commented defaults; a training configuration overrides them, the command line overrides both.
CAUSAL_LM_DEFAULTS = {
    "corpus": "shakespeare",  # "shakespeare", "tiny_shakespeare" or a text file
    "data_dir": None,  # tensorflow-datasets folder
    "validation_split": "validation",  # or "heldout" (validation + test: nanoGPT's val)
    "seq_length": 100,  # characters per training window (truncated BPTT length)
    "batch_size": 64,
    "epochs": 10,
    "steps_per_epoch": None,  # None: one pass over the training windows
    "validation_steps": None,  # None: the whole validation split
    "optimizer": "adam",  # a kerazoo.optimizers recipe
    "learning_rate": None,  # None: the recipe's default
    "clipnorm": 5.0,  # clip the global gradient norm (Keras's global_clipnorm); 0 is off
    "clipvalue": None,  # or clamp each gradient element, as char-rnn does; replaces clipnorm
    "seed": 0,
    "sample_every": 500,  # steps between printed samples; 0 is off
    "sample_length": 200,
    "sample_prompt": "\n",
    "max_minutes": None,  # stop after this much wall time
    "pipeline": "auto",  # "tf", "numpy", or "auto" (tf.data on TensorFlow)
    "sampling": "windows",  # "windows" (char-rnn's fixed windows) or "random" starts (nanoGPT)
    "steps_per_execution": 1,  # training steps per compiled call; more cuts per-step overhead
    "jit_compile": "auto",  # XLA: True, False or "auto" (Keras decides)
    "distribute": "none",  # "mirrored" (local devices) or "multi-worker": data parallel, docs/backends.md
    "verbose": 1,
}

CAUSAL_LM_FLAGS = common_flags(
    "corpus", "data_dir", "validation_split", "epochs", "steps_per_epoch", "validation_steps", "batch_size",
    "seq_length", "optimizer", "learning_rate", "clipnorm", "clipvalue", "seed", "sample_every", "sample_length",
    "max_minutes", "pipeline", "verbose", "distribute",
)



def resolve_clipping(config, explicit, config_training):
    """Keras takes one kind of clipping: settles `clipnorm` and `clipvalue` in `config`."""
    recipe = family.check_optimizer(config["optimizer"])
    if not {"clipnorm", "clipvalue"} & (set(explicit) | set(config_training)):
        # Neither the command line nor the preset clips: the recipe's clipping holds.
        config["clipnorm"] = recipe.defaults.get("global_clipnorm", config["clipnorm"])
        config["clipvalue"] = recipe.defaults.get("clipvalue", config["clipvalue"])
    # An explicit or preset clipvalue replaces the default clipnorm; asking for both is an error.
    if config["clipvalue"] is not None:
        if explicit.get("clipnorm"):
            raise ValueError(
                "Set either `clipnorm` or `clipvalue`, not both. "
                f"Received: clipnorm={explicit['clipnorm']}, clipvalue={config['clipvalue']}"
            )
        config["clipnorm"] = None
    if config["clipnorm"] == 0:
        config["clipnorm"] = None


def compile_language_model(model, config, steps_per_epoch=None):
    """Compiles a character LM with the config's optimizer recipe, cross-entropy, accuracy and bits/char.

    `steps_per_epoch` (default: the config's) tells a scheduled recipe how long
    an epoch and the run are: char-rnn's decay counts epochs, nanoGPT's cosine
    spans the run.
    """
    steps_per_epoch = steps_per_epoch or config["steps_per_epoch"]
    optimizer = optimizers.get(
        config["optimizer"],
        steps_per_epoch=steps_per_epoch,
        total_steps=config["epochs"] * steps_per_epoch if steps_per_epoch else None,
        learning_rate=config["learning_rate"],
        global_clipnorm=config["clipnorm"],
        clipvalue=config["clipvalue"],
    )
    if getattr(optimizer, "weight_decay", None):
        # Decoupled weight decay on matrices and embeddings only, never on
        # biases or layer-norm scales (nanoGPT's configure_optimizers, GPT-2).
        optimizer.exclude_from_weight_decay(var_list=[v for v in model.trainable_variables if len(v.shape) < 2])
    model.compile(
        optimizer=optimizer,
        loss=family.sparse_logits_loss(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"), BitsPerCharacter()],
        steps_per_execution=config.get("steps_per_execution", 1),
        jit_compile=config.get("jit_compile", "auto"),
    )
    return model


class CausalLMFamily(Family):
    """Base of the character language-model families (see the module docstring)."""

    defaults = CAUSAL_LM_DEFAULTS
    capabilities = (family.GENERATE,)
    signatures = {"serving_default": "token_logits", "generate": "generate_text"}
    identity = ("family", "model", "model_kwargs", "corpus", "seq_length", "optimizer", "validation_split")
    units = "chars"
    summary_keys = ("best_val_loss", "best_val_bpc", "steps", "wall_s", "parameters")
    vocabulary_class = CharVocabulary

    def check_config(self, config, explicit=None, config_training=None):
        resolve_clipping(config, explicit or {}, config_training or {})
        family.check_positive(config, ("seq_length", "batch_size", "epochs", "steps_per_execution"))
        family.check_positive(
            config,
            ("steps_per_epoch", "validation_steps", "learning_rate", "clipnorm", "clipvalue"),
            allow_none=True,
        )
        family.check_time_budget(config)
        family.check_distribute(config)
        if config["sample_every"] < 0:
            raise ValueError(
                f"`sample_every` must be >= 0 (0 is off). Received: sample_every={config['sample_every']}"
            )

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        corpus = corpus or load_corpus(config["corpus"], data_dir=config["data_dir"])
        if vocabulary is None:
            vocabulary = CharVocabulary.from_text(corpus.train)
        seq_length, batch_size = config["seq_length"], config["batch_size"]
        train_ids = vocabulary.encode(corpus.train)
        validation_ids = vocabulary.encode(corpus.split(config["validation_split"]))
        train = make_dataset(
            train_ids,
            seq_length,
            batch_size,
            shuffle=True,
            repeat=True,
            # A resumed run must not replay the first epochs' order: its shuffle seed comes from the epoch.
            seed=config["seed"] + 1_000_003 * initial_epoch,
            pipeline=config["pipeline"],
            sampling=config["sampling"],
        )
        try:
            validation = make_dataset(validation_ids, seq_length, batch_size, shuffle=False, pipeline=config["pipeline"])
        except ValueError as error:
            raise ValueError(f"Validation split {config['validation_split']!r}: {error}") from None
        validation_steps = config["validation_steps"]
        if replicas > 1:
            # Replicas take equal slices of a batch, so a distributed run validates on full batches only.
            full_batches = ((len(validation_ids) - 1) // seq_length) // batch_size
            if full_batches < 1:
                raise ValueError(
                    f"A distributed run validates on full batches only, and the validation split gives fewer "
                    f"than `batch_size`={batch_size} windows. Use a smaller batch_size or more text."
                )
            validation_steps = min(validation_steps or full_batches, full_batches)
        steps_per_epoch = config["steps_per_epoch"] or max(1, (len(train_ids) - 1) // seq_length // batch_size)
        return RunData(
            vocabulary=vocabulary,
            train=train,
            validation=validation,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            units_per_step=seq_length * batch_size,
            facts={
                "vocabulary_size": vocabulary.size,
                "corpus_chars": {"train": len(corpus.train), "validation": len(validation_ids)},
            },
            extra={"validation_ids": validation_ids},
        )

    def compile(self, model, config, data):
        return compile_language_model(model, config, data.steps_per_epoch)

    def build_input(self, config):
        """A batch-shaped input that builds the model (BackupAndRestore needs built weights)."""
        return ops.zeros((1, config["seq_length"]), dtype="int32")

    def stream_characters(self, vocabulary):
        """Character models stream: with `step` exported, the server sends each character as it is made."""
        return list(vocabulary.characters) if "step" in self.signatures else None

    def sample(self, model, vocabulary, prompt, length, temperature=0.8, seed=0):
        from kerazoo.generation.text import generate_text

        return generate_text(model, vocabulary, prompt, length, temperature, seed=seed)

    # --- Model cards of trained presets ---

    def measure(self, model, vocabulary, spec, folder=None):
        """`windowed_loss`: mean cross-entropy over every non-overlapping window of `data["window"]` characters.

        `spec["data"]` names the text (see `heldout_text`). The value is in
        nats per character; `bits_per_char` is the same in bits.
        """
        if spec["kind"] != "windowed_loss":
            return super().measure(model, vocabulary, spec, folder)
        ids = vocabulary.encode(heldout_text(spec["data"]))
        loss = windowed_loss(model, ids, spec["data"]["window"])
        return {"value": loss, "bits_per_char": family.bits(loss), "characters": len(ids)}

    def example(self, model, vocabulary):
        from kerazoo.generation.text import generate_text

        prompt = "ROMEO:\n"
        return {
            "input": prompt,
            "output": generate_text(model, vocabulary, prompt, 300, temperature=0.8, seed=0),
            "temperature": 0.8,
            "seed": 0,
            "greedy": generate_text(model, vocabulary, prompt, 100, temperature=0.0),
        }

def heldout_text(data):
    """The text a measure reads.

    `data` is `{"corpus": NAME_OR_FILE, "split": "heldout"}` (a split of a
    corpus, see `kerazoo.data.corpora`) or `{"play": SLUG}` (one play of the
    embedded complete plays, rendered as the corpus renders it); with
    `"characters": N`, only its first N characters.
    """
    if "play" in data:
        from kerazoo.data.shakespeare import load_plays

        plays = {play.slug: play for play in load_plays()}
        if data["play"] not in plays:
            raise ValueError(f"`play` must be one of {sorted(plays)}. Received: play={data['play']!r}")
        text = plays[data["play"]].render()
    else:
        text = load_corpus(data["corpus"]).split(data.get("split", "heldout"))
    return text[: data["characters"]] if data.get("characters") else text


def windowed_loss(model, ids, window, batch_size=32):
    """Mean next-character cross-entropy (nats) over every non-overlapping window of `window` characters.

    This is the full pass nanoGPT's figures are compared with: each window is
    read from its start, as the model was trained.
    """
    from kerazoo.data.pipeline import make_windows

    inputs, targets = make_windows(ids, window)
    total = 0.0
    for start in range(0, len(inputs), batch_size):
        logits = model(inputs[start : start + batch_size], training=False)
        losses = keras.losses.sparse_categorical_crossentropy(targets[start : start + batch_size], logits, from_logits=True)
        total += float(ops.sum(losses))
    return total / targets.size
