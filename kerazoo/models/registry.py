"""The registry of families: the one place that lists them.

The CLI, the runner, the exporter and the tests find a family here, by its
name (recorded in every run folder and SavedModel) or by the name of one of
its models. Adding a family is one line in `FAMILIES`, or a call to
`register_family` for a family defined outside kerazoo.
"""

import json
import os

from kerazoo.models.captioner.captioner_family import CAPTIONER_FAMILY
from kerazoo.models.char_rnn.char_rnn_family import CHAR_RNN_FAMILY
from kerazoo.models.chat.chat_family import CHAT_FAMILY
from kerazoo.models.elmo.elmo_family import ELMO_FAMILY
from kerazoo.models.gpt.gpt_family import GPT_FAMILY
from kerazoo.models.hmm.hmm_family import HMM_FAMILY
from kerazoo.models.ngram.ngram_family import NGRAM_FAMILY
from kerazoo.models.seq2seq.seq2seq_family import SEQ2SEQ_FAMILY
from kerazoo.models.t5.t5_family import T5_FAMILY
from kerazoo.models.transformer.transformer_family import TRANSFORMER_FAMILY
from kerazoo.models.training_protocol import config_name
from kerazoo.models.word2vec.word2vec_family import WORD2VEC_FAMILY

FAMILIES = [
    CHAR_RNN_FAMILY, GPT_FAMILY, TRANSFORMER_FAMILY, SEQ2SEQ_FAMILY, WORD2VEC_FAMILY, ELMO_FAMILY, NGRAM_FAMILY, HMM_FAMILY,
    CAPTIONER_FAMILY, T5_FAMILY, CHAT_FAMILY,
]
# What `kerazoo train` and `resolve_config()` train when given no model: the lectures' character LSTM.
DEFAULT_MODEL = "lstm"


def register_family(family):
    """Adds `family` (a `Family`) to the registry; its name and model names must be new."""
    taken = {name for known in FAMILIES for name in known.models}
    clashes = sorted(taken & set(family.models))
    if any(known.name == family.name for known in FAMILIES) or clashes:
        raise ValueError(
            f"A family named {family.name!r} or a model named {clashes} is registered already. "
            f"Received: family={family!r}"
        )
    FAMILIES.append(family)
    return family


def unregister_family(name):
    FAMILIES[:] = [family for family in FAMILIES if family.name != name]


def model_names():
    return [model for family in FAMILIES for model in family.models]


def get_family(name):
    """The family called `name`."""
    for family in FAMILIES:
        if family.name == name:
            return family
    raise ValueError(f"`family` must be one of {[f.name for f in FAMILIES]}. Received: family={name!r}")


def family_of_model(model):
    """The family that builds the model called `model`."""
    for family in FAMILIES:
        if model in family.builders:
            return family
    raise ValueError(f"`model` must be one of {model_names()}. Received: model={model!r}")


def family_of_serving_model(model):
    """The family that serves `model` (a trained model, or the object its SavedModel serves)."""
    for family in FAMILIES:
        if family.serves(model):
            return family
    raise TypeError(
        f"`model` must be a model of a registered family ({[f.name for f in FAMILIES]}). "
        f"Received: model={type(model).__name__}"
    )


def family_of_training_config(config):
    """The family whose training configurations include the one named `config`."""
    for family in FAMILIES:
        if config in family.configs:
            return family
    known = sorted(name for family in FAMILIES for name in family.configs)
    raise ValueError(f"`config` must be one of {known}. Received: config={config!r}")


def family_of_config(config):
    """The family a resolved run config names; a run written before families were recorded names its model."""
    if config.get("family"):
        return get_family(config["family"])
    return family_of_model(config.get("model", "lstm"))


def run_config(run_dir):
    """The `config.json` of a run folder, or None for a folder that holds no run."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def family_of_run(run_dir):
    """The family of the run in `run_dir`, or None when it holds no run."""
    config = run_config(run_dir)
    return None if config is None else family_of_config(config)


def resolve_config(model=None, config=None, model_kwargs=None, preset=None, **training):
    """One run configuration for any family, found from `model` or the training configuration `config`.

    `preset=` is the old name of `config` and still works. See `TrainingProtocol.resolve_config`.
    """
    config = config_name(config, preset)
    if config is not None:
        family = family_of_training_config(config)
    else:
        family = family_of_model(model or DEFAULT_MODEL)
    return family.resolve_config(model=model, config=config, model_kwargs=model_kwargs, **training)
