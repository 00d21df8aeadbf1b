"""Fine-tuning: the `init_from` setting, which starts a sequence-to-sequence run from a trained model's weights.

`init_from` names a shipped preset (`plays-t5`), a preset folder or a run
folder, holding a model of a class the run's family builds. The run then:

- takes its builder arguments from that model (`source_architecture`), under
  the ones the run sets itself; `max_sequence_length`, which shapes no
  weight, comes from the run's own targets;
- starts from that model's vocabulary, extended with the characters of the new
  pairs (`extend_vocabulary`); characters are kept sorted, so ids may move;
- builds its model and copies every weight into it (`copy_weights`): the rows
  of an embedding and the columns of an output layer follow their characters
  (the family's `vocabulary_weights` names them), and a new character keeps its
  freshly initialised row. With `init_from_parts="encoder"` only the encoder's
  weights are copied (the family's `encoder_weights` prefixes name them), and
  the decoder starts fresh; with `init_from_parts="embeddings"` only the weights
  of `vocabulary_weights` (the embeddings and the output layer), and every
  block starts fresh.

A source of another class, or one whose weights differ in number or shape (a
setting that changes the architecture), is refused with an error that names
`init_from` and its value.
"""

import inspect

import keras
import numpy as np

from kerazoo.data.seq2seq import PairVocabulary
from kerazoo.data.vocabulary import CharVocabulary

# The builder arguments that `init_from` does not pass on: the vocabulary sizes come from the run's
# vocabulary, the longest target from its pairs, the name from the builder.
NOT_INHERITED = ("source_vocabulary_size", "target_vocabulary_size", "max_sequence_length", "name")


def load_source(init_from, family):
    """`(model, vocabulary)` of the preset or run folder `init_from`, if `family` builds models of its class."""
    from kerazoo.models.presets import PresetError
    from kerazoo.models.presets import load_preset

    try:
        model, vocabulary, _ = load_preset(init_from)
    except PresetError as error:
        raise ValueError(
            f"`init_from` must be a trained preset (`kerazoo list`), a preset folder or a run folder. "
            f"Received: init_from={init_from!r} ({error})"
        ) from None
    if not family.serves(model) or not isinstance(vocabulary, PairVocabulary):
        classes = ", ".join(cls.__name__ for cls in family.model_classes)
        raise ValueError(
            f"`init_from` must hold a model that the {family.name} family builds ({classes}). "
            f"Received: init_from={init_from!r}, which holds a {type(model).__name__}"
        )
    return model, vocabulary


def source_architecture(builder, source):
    """The builder arguments of `source` that `init_from` passes on (see `NOT_INHERITED`)."""
    config = source.get_config()
    parameters = inspect.signature(builder).parameters
    return {key: config[key] for key in parameters if key in config and key not in NOT_INHERITED}


def extend_vocabulary(vocabulary, pairs):
    """`vocabulary` (a `PairVocabulary`) with every character of `pairs` added on its side."""
    sources = "".join(source for source, _ in pairs)
    targets = "".join(target for _, target in pairs)
    return PairVocabulary(
        CharVocabulary(set(vocabulary.source.characters) | set(sources)),
        CharVocabulary(set(vocabulary.target.characters) | set(targets)),
    )


def copy_weights(model, source, source_vocabulary, vocabulary, vocabulary_weights, init_from, only=None):
    """Copies the weights of `source` into `model`, moving vocabulary rows to the ids their characters have now.

    Args:
        model: the run's freshly built model.
        source: the trained model (`load_source`).
        source_vocabulary, vocabulary: the `PairVocabulary` of each.
        vocabulary_weights: dict of weight path -> (`"source"` or `"target"`, the axis that runs over ids).
        init_from: str. The setting's value, for errors.
        only: tuple of weight-path prefixes, or None. Copies only the weights under them.
    """
    theirs = {variable.path: variable for variable in source.weights}
    ours = {variable.path: variable for variable in model.weights}
    if set(theirs) != set(ours):
        missing, extra = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
        raise ValueError(
            f"`init_from` must hold a model of this run's architecture. Received: init_from={init_from!r}, whose "
            f"model lacks {missing[:3]} and has {extra[:3]} beside this run's weights"
        )
    for path, variable in ours.items():
        if only is not None and not path.startswith(tuple(only)):
            continue
        value = keras.ops.convert_to_numpy(theirs[path])
        if path in vocabulary_weights:
            side, axis = vocabulary_weights[path]
            value = _moved_rows(value, keras.ops.convert_to_numpy(variable), axis,
                                getattr(source_vocabulary, side).tokens, getattr(vocabulary, side).tokens)
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"`init_from` must hold a model of this run's architecture. Received: init_from={init_from!r}, "
                f"whose {path} is {tuple(value.shape)} where this run's is {tuple(variable.shape)}"
            )
        variable.assign(value)
    return model


def _moved_rows(trained, fresh, axis, old_tokens, new_tokens):
    """`fresh` with the slices along `axis` of the tokens both vocabularies hold taken from `trained`."""
    others = [size for i, size in enumerate(trained.shape) if i != axis]
    if others != [size for i, size in enumerate(fresh.shape) if i != axis] or trained.shape[axis] != len(old_tokens) \
            or fresh.shape[axis] != len(new_tokens):
        return trained  # another architecture: the caller's shape check reports it
    old_index = {token: i for i, token in enumerate(old_tokens)}
    kept = [(i, old_index[token]) for i, token in enumerate(new_tokens) if token in old_index]
    new_ids, old_ids = (np.asarray(ids, dtype=np.int64) for ids in zip(*kept))
    out = np.moveaxis(fresh.copy(), axis, 0)
    out[new_ids] = np.moveaxis(trained, axis, 0)[old_ids]
    return np.moveaxis(out, 0, axis)
