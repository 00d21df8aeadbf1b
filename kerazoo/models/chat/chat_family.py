"""The chat family: a chatbot trained on the plays' exchanges, from kerazoo's encoder-decoders.

A run reads the exchanges of `chat_data` (held out whole: four test plays and
two validation plays), builds a `ChatVocabulary` of the training replies' most
frequent units, and trains a `ChatModel` with teacher forcing; with
`--context empty` the same decoder learns replies alone (the baseline). The
best checkpoint (by validation loss) is measured on the test plays:
perplexity of the replies given their context (without and with the
replier's name), and distinct-1/2 of sampled replies (`chat_evaluation`).
`kerazoo chat` talks to a trained model (`chat_session`); the SavedModel
answers through its `chat` and `chat_step` signatures (`chat_export`).
"""

import time

import numpy as np

from kerazoo.models import family
from kerazoo.models.chat import chat_export  # noqa: F401  (registers its signature builders)
from kerazoo.models.chat.chat_builders import build_chat_lstm
from kerazoo.models.chat.chat_builders import build_chat_transformer
from kerazoo.models.chat.chat_configs import CHAT_CONFIGS
from kerazoo.models.chat.chat_model import CONTEXTS
from kerazoo.models.chat.chat_model import ChatModel
from kerazoo.models.chat.chat_session import CHAT
from kerazoo.models.chat.chat_session import CHAT_COMMAND
from kerazoo.models.chat.chat_vocabulary import ChatVocabulary
from kerazoo.models.family import Family
from kerazoo.models.family import Flag
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags
from kerazoo.models.family import positive_int

# Flat, commented defaults; a training configuration overrides them, the command line overrides both.
CHAT_DEFAULTS = {
    "vocabulary_size": 6000,  # ids: 7 special tokens and the training replies' most frequent units
    "speaker_rate": 0.5,  # the share of training exchanges whose context opens with the replier's name
    "train_size": None,  # training exchanges (None: all 25,521; fewer: a seeded sample, for tiny runs)
    "test_size": None,  # test exchanges measured after training (None: all 2,837 of the test plays)
    "diversity_size": 500,  # test contexts whose sampled replies give distinct-1/2
    "epochs": 20,
    "batch_size": 64,
    "optimizer": "adam",  # a kerazoo.optimizers recipe
    "learning_rate": None,
    "clipnorm": 1.0,
    "seed": 0,
    "max_minutes": None,
    "verbose": 1,
}


def model_setting(family_object, config, key):
    """A builder argument of the run: its value in `model_kwargs`, else the builder's default."""
    import inspect

    if key in config["model_kwargs"]:
        return config["model_kwargs"][key]
    return inspect.signature(family_object.builders[config["model"]]).parameters[key].default


class ChatFamily(Family):
    name = "chat"
    description = "A chatbot: the Transformer or the LSTM with attention, replying to the plays' speeches."
    builders = {"chat_transformer": build_chat_transformer, "chat_lstm": build_chat_lstm}
    model_classes = (ChatModel,)
    configs = CHAT_CONFIGS
    defaults = CHAT_DEFAULTS
    capabilities = (CHAT,)
    commands = (CHAT_COMMAND,)
    signatures = {"serving_default": "chat_logits", "chat": "chat_reply", "chat_step": "chat_next"}
    identity = ("family", "model", "model_kwargs", "vocabulary_size", "train_size")
    units = "exchanges"
    vocabulary_class = ChatVocabulary
    summary_keys = ("test_perplexity", "test_perplexity_with_speaker", "test_distinct_2", "best_val_loss", "wall_s",
                    "parameters")
    flags = common_flags("epochs", "batch_size", "optimizer", "learning_rate", "clipnorm", "seed", "max_minutes",
                         "verbose", "num_layers", "num_heads", "hidden_dim", "dropout", "units") + (
        Flag("embedding_dim", positive_int, target="model"),
        Flag("vocabulary_size", positive_int, help="ids, the 7 special tokens included"),
        Flag("speaker_rate", float, help="share of training contexts that name the replier (0 to 1)"),
        Flag("train_size", positive_int, help="train on a seeded sample of this many exchanges"),
        Flag("test_size", positive_int, help="measure on the first N test exchanges"),
        Flag("context", choices=CONTEXTS, target="model", help="'empty': the baseline, a language model of replies"),
        Flag("context_turns", positive_int, target="model", help="turns the encoder reads"),
        Flag("context_length", positive_int, target="model", help="context ids the encoder reads"),
        Flag("max_reply_length", positive_int, target="model", help="reply ids, the end token included"),
    )
    _TRANSFORMER_ONLY = {"num_layers", "num_heads", "hidden_dim", "dropout"}
    _LSTM_ONLY = {"units", "embedding_dim"}

    def flags_for(self, model):
        dropped = self._LSTM_ONLY if model == "chat_transformer" else self._TRANSFORMER_ONLY
        return tuple(flag for flag in self.flags if flag.key not in dropped)

    def check_config(self, config, explicit=None, config_training=None):
        family.check_integers(config, ("epochs", "batch_size", "vocabulary_size", "diversity_size"))
        family.check_integers(config, ("train_size", "test_size"), allow_none=True)
        family.check_optimizer(config["optimizer"])
        family.check_positive(config, ("learning_rate", "clipnorm"), allow_none=True)
        family.check_time_budget(config)
        from kerazoo.utils.arguments import check_number

        check_number("speaker_rate", config["speaker_rate"], minimum=0, maximum=1)

    def settings(self, config):
        """The model's `context_turns`, `context_length` and `max_reply_length` for this run."""
        return [model_setting(self, config, key) for key in ("context_turns", "context_length", "max_reply_length")]

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        from kerazoo.data.dialogue import dialogue_splits
        from kerazoo.models.chat.chat_data import exchange_arrays
        from kerazoo.models.chat.chat_data import training_dataset

        splits = dict(corpus or dialogue_splits())
        if config["train_size"] and config["train_size"] < len(splits["train"]):
            chosen = np.random.default_rng(config["seed"]).permutation(len(splits["train"]))[: config["train_size"]]
            splits["train"] = [splits["train"][i] for i in np.sort(chosen)]
        if config["test_size"]:
            splits["test"] = splits["test"][: config["test_size"]]
        train = splits["train"]
        if vocabulary is None:
            vocabulary = ChatVocabulary.from_texts([e.reply for e in train] + [e.speaker for e in train],
                                                   config["vocabulary_size"])
        shown = np.random.default_rng(config["seed"] + 1).random(len(train)) < config["speaker_rate"]
        turns, length, reply_length = self.settings(config)
        batch = config["batch_size"] * replicas
        if len(train) < batch:
            raise ValueError(f"`batch_size` ({batch}) must not exceed the training exchanges ({len(train)}). "
                             f"Received: batch_size={config['batch_size']}")
        inputs, targets = exchange_arrays(vocabulary, train, turns, length, reply_length, shown)
        return RunData(
            vocabulary=vocabulary,
            train=training_dataset(inputs, targets, batch, config["seed"], initial_epoch),
            validation=exchange_arrays(vocabulary, splits["validation"], turns, length, reply_length),
            steps_per_epoch=len(train) // batch,
            units_per_step=batch,
            facts={f"{split}_exchanges": len(exchanges) for split, exchanges in splits.items()},
            extra={"splits": splits},
        )

    def build(self, config, data):
        return self.builders[config["model"]](data.vocabulary.size, **config["model_kwargs"])

    def build_input(self, config):
        return {"encoder_token_ids": np.ones((1, 2), np.int32), "decoder_token_ids": np.ones((1, 2), np.int32)}

    def compile(self, model, config, data):
        # The loss alone: Keras's accuracy would count the padding of the validation replies.
        model.compile(
            optimizer=family.recipe_optimizer(config, data.steps_per_epoch, global_clipnorm=config["clipnorm"]),
            loss=family.sparse_logits_loss(ignore_class=0),
        )
        return model

    def evaluate(self, model, data, config):
        from kerazoo.models.chat.chat_evaluation import diversity
        from kerazoo.models.chat.chat_evaluation import perplexity

        start = time.monotonic()
        test = data.extra["splits"]["test"]
        results = {"test_perplexity": perplexity(model, data.vocabulary, test)["value"],
                   "test_perplexity_with_speaker": perplexity(model, data.vocabulary, test, True)["value"],
                   "validation_perplexity": perplexity(model, data.vocabulary, data.extra["splits"]["validation"])[
                       "value"]}
        sampled = diversity(model, data.vocabulary, test[: config["diversity_size"]], seed=config["seed"])
        results.update({f"test_{key}": value for key, value in sampled.items()})
        results["test_evaluation_s"] = round(time.monotonic() - start, 2)
        return results

    # --- Model cards ---

    def measure(self, model, vocabulary, spec, folder=None):
        """`perplexity` of the replies of a held-out split given their contexts.

        `spec["data"]`: `split` ("test" or "validation"), `exchanges` (the first N; None: all) and
        `speaker` (whether the context names the replier; False, as the `chat` signature reads it).
        """
        if spec["kind"] != "perplexity":
            return super().measure(model, vocabulary, spec, folder)
        from kerazoo.data.dialogue import dialogue_splits
        from kerazoo.models.chat.chat_evaluation import perplexity

        data = spec["data"]
        exchanges = dialogue_splits()[data.get("split", "test")][: data.get("exchanges")]
        measured = perplexity(model, vocabulary, exchanges, data.get("speaker", False))
        return {"value": measured["value"], "tokens": measured["tokens"], "exchanges": measured["exchanges"]}

    def example(self, model, vocabulary):
        from kerazoo.models.chat.chat_generation import reply

        turns = ["Who's there?", "Nay, answer me: stand, and unfold yourself."]
        return {"input": turns, "output": reply(model, vocabulary, turns).text}


CHAT_FAMILY = ChatFamily()
