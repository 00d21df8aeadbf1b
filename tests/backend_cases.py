"""One tiny case per model family, shared by the backend checks (tests/test_backends.py).

Every family in the zoo has an entry in `CASES`: the JAX subset, the
cross-backend agreement test and the train-on-JAX, serve-on-TensorFlow test
all loop over it, so a new family joins every backend check by adding one
`Case` here.

A case holds builders, not objects, so each backend process makes its own
model from the same recipe. Inputs and targets are fixed NumPy arrays.
"""

import dataclasses
from typing import Callable
from typing import Optional

import numpy as np

from tests.test_case import TINY_TEXT

PAIRS = [("3 March 1998", "1998-03-03"), ("12/31/1999", "1999-12-31"), ("the 1st of May, 2001", "2001-05-01")]


@dataclasses.dataclass(frozen=True)
class Case:
    """A family in its tiny configuration.

    Attributes:
        name: str. The family's name in test ids and file names.
        vocabulary: callable returning the vocabulary the model was built for.
        build: callable(vocabulary) returning an unbuilt `keras.Model`.
        inputs: callable(vocabulary) returning the model's input (array or dict).
        targets: callable(vocabulary) returning the labels for `fit`, or None
            for a model that computes its own loss.
        generate: callable(model, vocabulary) returning the greedy, deterministic
            text the family's generator makes, or None for a family that does not generate.
        loss: str or None. A `keras.losses` name the fit step uses; None for a
            model whose `compute_loss` holds its loss (word2vec's negative sampling).
        export: bool. Whether `kerazoo.export.export_saved_model` serves this family.
    """

    name: str
    vocabulary: Callable
    build: Callable
    inputs: Callable
    targets: Callable
    generate: Optional[Callable] = None
    loss: Optional[str] = "sparse_categorical_crossentropy_from_logits"
    export: bool = True


def _char_vocabulary():
    from kerazoo.data.vocabulary import CharVocabulary

    return CharVocabulary.from_text(TINY_TEXT)


def _pair_vocabulary():
    from kerazoo.data.seq2seq import PairVocabulary

    return PairVocabulary.from_pairs(PAIRS)


def _lm_inputs(vocabulary):
    return vocabulary.encode(TINY_TEXT[:24]).reshape(2, 12)[:, :-1]


def _lm_targets(vocabulary):
    return vocabulary.encode(TINY_TEXT[:24]).reshape(2, 12)[:, 1:]


def _generate_text(model, vocabulary):
    from kerazoo.generation import generate_text

    return generate_text(model, vocabulary, ["ROMEO:", "O"], max_length=8, temperature=0.0)


def _pair_arrays(vocabulary):
    return vocabulary.encode_pairs(PAIRS[:2])


def _seq2seq_inputs(vocabulary):
    return _pair_arrays(vocabulary)[0]


def _seq2seq_targets(vocabulary):
    return _pair_arrays(vocabulary)[1]


def _translate(model, vocabulary):
    from kerazoo.generation.translate import translate

    return translate(model, vocabulary, ["3 March 1998", "1/1/2000"], max_length=6, beam_width=2)


def _char_rnn(builder_name):
    def build(vocabulary):
        import kerazoo

        return getattr(kerazoo, builder_name)(vocabulary.size, units=8, num_layers=2, embedding_dim=4)

    return build


def _gpt(vocabulary):
    from kerazoo import build_gpt

    return build_gpt(vocabulary.size, num_layers=1, num_heads=2, hidden_dim=8, max_sequence_length=16)


def _transformer(vocabulary):
    from kerazoo import build_transformer

    return build_transformer(
        vocabulary.source.size, vocabulary.target.size, num_layers=1, num_heads=2, hidden_dim=8,
        intermediate_dim=16, dropout=0.0, max_sequence_length=12,
    )


def _seq2seq_lstm(vocabulary):
    from kerazoo import build_seq2seq_lstm

    return build_seq2seq_lstm(vocabulary.source.size, vocabulary.target.size, embedding_dim=4, units=8,
                              max_sequence_length=12)


WORD2VEC_SIZE = 12  # word ids 0..11; word2vec's trainer makes the pairs, these are fixed ones


def _skipgram(vocabulary):
    from kerazoo import build_skipgram

    return build_skipgram(WORD2VEC_SIZE, embedding_dim=4, num_negative=2)


def _skipgram_softmax(vocabulary):
    from kerazoo import build_skipgram_softmax

    return build_skipgram_softmax(WORD2VEC_SIZE, embedding_dim=4)


def _pairs(vocabulary):
    rng = np.random.default_rng(5)
    return {
        "target": rng.integers(0, WORD2VEC_SIZE, 6).astype("int32"),
        "context": rng.integers(0, WORD2VEC_SIZE, 6).astype("int32"),
        "negative": rng.integers(0, WORD2VEC_SIZE, (6, 2)).astype("int32"),
    }


_WORD2VEC = dict(vocabulary=lambda: None, export=False)

ELMO_SIZE = 20  # softmax ids; the characters come from TINY_TEXT's words


def _elmo(vocabulary):
    from kerazoo import build_elmo

    return build_elmo(ELMO_SIZE, character_filters=[(1, 4), (2, 4)], character_embedding_dim=4, projection_dim=4,
                      lstm_units=8, dropout=0.0)


def _elmo_inputs(vocabulary):
    from kerazoo.data.characters import encode_characters

    return encode_characters(TINY_TEXT.split()[:12]).reshape(2, 6, -1)


def _elmo_targets(vocabulary):
    ids = (np.arange(16) % (ELMO_SIZE - 4) + 4).reshape(2, 8).astype("int32")
    return {"forward": ids[:, 2:], "backward": ids[:, :-2]}

_LM = dict(vocabulary=_char_vocabulary, inputs=_lm_inputs, targets=_lm_targets, generate=_generate_text)
_SEQ2SEQ = dict(vocabulary=_pair_vocabulary, inputs=_seq2seq_inputs, targets=_seq2seq_targets, generate=_translate)

# Add a family here and every backend check covers it.
CASES = [
    Case("simple_rnn", build=_char_rnn("build_simple_rnn"), **_LM),
    Case("lstm", build=_char_rnn("build_lstm"), **_LM),
    Case("gru", build=_char_rnn("build_gru"), **_LM),
    Case("gpt", build=_gpt, **_LM),
    Case("transformer", build=_transformer, **_SEQ2SEQ),
    Case("seq2seq_lstm", build=_seq2seq_lstm, **_SEQ2SEQ),
    Case("word2vec", build=_skipgram, inputs=_pairs, targets=lambda v: None, loss=None, **_WORD2VEC),
    Case("word2vec_softmax", build=_skipgram_softmax, inputs=lambda v: _pairs(v)["target"],
         targets=lambda v: _pairs(v)["context"], **_WORD2VEC),
    # The biLM's SavedModel is its embedder (`embed`), tested in tests/export/test_saved_model_elmo.py.
    Case("elmo", vocabulary=lambda: None, build=_elmo, inputs=_elmo_inputs, targets=_elmo_targets, loss=None,
         export=False),
]
CASE_NAMES = [case.name for case in CASES]


def get_case(name):
    return next(case for case in CASES if case.name == name)


def make_model(case, seed=0):
    """The case's model, built and given fixed non-trivial weights from `seed`."""
    import keras

    from tests.test_case import randomize_weights

    keras.utils.set_random_seed(seed)
    vocabulary = case.vocabulary()
    model = case.build(vocabulary)
    model(case.inputs(vocabulary))
    return randomize_weights(model, seed=seed, scale=0.3), vocabulary


def compile_for_case(model, case, learning_rate=0.05):
    import keras

    if case.loss == "sparse_categorical_crossentropy_from_logits":
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        loss = case.loss and keras.losses.get(case.loss)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


def logits(model, case, vocabulary):
    import keras

    outputs = model(case.inputs(vocabulary), training=False)
    if isinstance(outputs, dict):  # ELMo: the forward and backward states, side by side
        return np.concatenate([keras.ops.convert_to_numpy(outputs[k]) for k in sorted(outputs)], axis=-1)
    return keras.ops.convert_to_numpy(outputs)


def train_and_save(folder, names=None, steps=3):
    """Trains each case a few full-batch steps on this backend and writes, per case,
    `<name>.keras`, and `<name>.npz` with the logits before and after training and the
    generated text. Returns the dict of losses per case."""
    import json
    import os

    losses = {}
    for case in CASES:
        if names is not None and case.name not in names:
            continue
        model, vocabulary = make_model(case)
        before = logits(model, case, vocabulary)
        compile_for_case(model, case)
        x, y = case.inputs(vocabulary), case.targets(vocabulary)
        rows = len(next(iter(x.values())) if isinstance(x, dict) else x)
        history = model.fit(x, y, batch_size=rows, epochs=steps, verbose=0, shuffle=False)
        losses[case.name] = history.history["loss"]
        model.save(os.path.join(folder, f"{case.name}.keras"))
        text = case.generate(model, vocabulary) if case.generate else None
        np.savez(os.path.join(folder, f"{case.name}.npz"), before=before, after=logits(model, case, vocabulary),
                 text=json.dumps(text))
    return losses
