"""One tiny case per model of every registered family, for the backend checks (tests/test_backends.py).

Test fixtures live in the tests, not in the package: `FAMILY_CASES` gives each
family's tiny configuration, and a test fails for a registered family that has
none (unless `NO_BACKEND_CASE` says why). The JAX subset, the cross-backend
agreement test and the train-on-JAX, serve-on-TensorFlow test all loop over
`CASES`.

A case holds builders, not objects, so each backend process makes its own
model from the same recipe. Inputs and targets are fixed NumPy arrays.
"""

import dataclasses
from typing import Callable
from typing import Optional

import numpy as np


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


# Builder arguments of each model in its tiny configuration (KerasHub's tests use sizes like these).
TINY_TEXT = (
    "ROMEO:\nBut soft, what light through yonder window breaks?\n\n"
    "JULIET:\nO Romeo, Romeo, wherefore art thou Romeo?\n\n"
)
TINY_PAIRS = [("3 March 1998", "1998-03-03"), ("12/31/1999", "1999-12-31"), ("the 1st of May, 2001", "2001-05-01")]
TINY_MODEL_KWARGS = {
    **{model: {"units": 8, "num_layers": 2, "embedding_dim": 4} for model in ("simple_rnn", "lstm", "gru")},
    "gpt": {"num_layers": 1, "num_heads": 2, "hidden_dim": 8, "max_sequence_length": 16},
    "hmm": {"states": 4},
    "transformer": dict(num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16, dropout=0.0,
                        max_sequence_length=12),
    "seq2seq_lstm": dict(embedding_dim=4, units=8, max_sequence_length=12),
    "captioner": dict(embedding_dim=4, units=8, filters=[4, 4], feature_dim=8, image_size=8, max_sequence_length=12),
    "caption_transformer": dict(num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16, filters=[4, 4],
                                image_size=8, max_sequence_length=12),
    "chat_transformer": dict(num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16, dropout=0.0,
                             max_reply_length=8),
    "chat_lstm": dict(embedding_dim=4, units=8, max_reply_length=8),
}
WORD2VEC_SIZE = 12  # the word2vec case's word ids; its pairs are fixed arrays
ELMO_SIZE = 20  # the ELMo case's softmax ids
# Families with no backend case, and why; every other registered family must have one (test_backends checks).
NO_BACKEND_CASE = {"ngram": "its tables are counted, not trained by gradient steps; tests/models/ngram checks it",
                   "t5": "its model is the Transformer, built by the same builder, whose case covers every backend; "
                         "only its data (span corruption) is its own, and that is NumPy and tf.data"}


def _tiny_builder(family, model):
    builder, kwargs = family.builders[model], TINY_MODEL_KWARGS.get(model, {})
    return lambda vocabulary: builder(*family.vocabulary_sizes(vocabulary), **kwargs)


def _character_cases(family):
    from kerazoo.data.vocabulary import CharVocabulary
    from kerazoo.generation.text import generate_text

    def greedy(model, vocabulary):
        return generate_text(model, vocabulary, ["ROMEO:", "O"], max_length=8, temperature=0.0)

    return [
        Case(model, vocabulary=lambda: CharVocabulary.from_text(TINY_TEXT), build=_tiny_builder(family, model),
             inputs=lambda vocabulary: vocabulary.encode(TINY_TEXT[:24]).reshape(2, 12)[:, :-1],
             targets=lambda vocabulary: vocabulary.encode(TINY_TEXT[:24]).reshape(2, 12)[:, 1:], generate=greedy)
        for model in family.models
    ]


def _pair_cases(family):
    from kerazoo.data.seq2seq import PairVocabulary
    from kerazoo.generation.translate import translate

    def greedy(model, vocabulary):
        return translate(model, vocabulary, ["3 March 1998", "1/1/2000"], max_length=6, beam_width=2)

    return [
        Case(model, vocabulary=lambda: PairVocabulary.from_pairs(TINY_PAIRS), build=_tiny_builder(family, model),
             inputs=lambda vocabulary: vocabulary.encode_pairs(TINY_PAIRS[:2])[0],
             targets=lambda vocabulary: vocabulary.encode_pairs(TINY_PAIRS[:2])[1], generate=greedy)
        for model in family.models
    ]


def _word2vec_cases(family):
    from kerazoo.models.word2vec.word2vec_builders import build_skipgram
    from kerazoo.models.word2vec.word2vec_builders import build_skipgram_softmax

    def pairs(vocabulary):
        rng = np.random.default_rng(5)
        return {
            "target": rng.integers(0, WORD2VEC_SIZE, 6).astype("int32"),
            "context": rng.integers(0, WORD2VEC_SIZE, 6).astype("int32"),
            "negative": rng.integers(0, WORD2VEC_SIZE, (6, 2)).astype("int32"),
        }

    return [
        Case("word2vec", vocabulary=lambda: None, build=lambda v: build_skipgram(WORD2VEC_SIZE, embedding_dim=4,
                                                                                 num_negative=2),
             inputs=pairs, targets=lambda v: None, loss=None, export=False),
        Case("word2vec_softmax", vocabulary=lambda: None,
             build=lambda v: build_skipgram_softmax(WORD2VEC_SIZE, embedding_dim=4),
             inputs=lambda v: pairs(v)["target"], targets=lambda v: pairs(v)["context"], export=False),
    ]


def _elmo_cases(family):
    from kerazoo.data.characters import encode_characters
    from kerazoo.models.elmo.elmo_builders import build_elmo

    def build(vocabulary):
        return build_elmo(ELMO_SIZE, character_filters=[(1, 4), (2, 4)], character_embedding_dim=4,
                          projection_dim=4, lstm_units=8, dropout=0.0)

    def targets(vocabulary):
        ids = (np.arange(16) % (ELMO_SIZE - 4) + 4).reshape(2, 8).astype("int32")
        return {"forward": ids[:, 2:], "backward": ids[:, :-2]}

    return [Case("elmo", vocabulary=lambda: None, build=build,
                 inputs=lambda v: encode_characters(TINY_TEXT.split()[:12]).reshape(2, 6, -1),
                 targets=targets, loss=None, export=False)]


def _captioner_cases(family):
    from kerazoo.models.captioner.captioner_evaluation import caption
    from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary

    captions = ["a small red circle", "a large blue square above a small green cross"]
    images = np.random.default_rng(3).random((2, 8, 8, 3)).astype("float32")

    def greedy(model, vocabulary):
        return caption(model, vocabulary, images, max_length=6)

    return [
        Case(model, vocabulary=CaptionVocabulary.from_grammar, build=_tiny_builder(family, model),
             inputs=lambda v: {"images": images, "decoder_token_ids": v.encode_batch(captions, 10)[0]},
             targets=lambda v: v.encode_batch(captions, 10)[1], generate=greedy)
        for model in family.models
    ]


def _chat_cases(family):
    from kerazoo.data.dialogue import Exchange
    from kerazoo.models.chat.chat_data import exchange_arrays
    from kerazoo.models.chat.chat_generation import reply
    from kerazoo.models.chat.chat_vocabulary import ChatVocabulary

    words = "my good lord , how now ? what news from the court ! ay no .".split()
    exchanges = [Exchange(("How now, my lord?", "What news?"), "HAMLET", "Ay, my good lord.", "p"),
                 Exchange(("No news from the court!",), "LORD", "How now?", "p")]

    def arrays(vocabulary):
        return exchange_arrays(vocabulary, exchanges, 2, 12, 8, show_speaker=[True, False])

    def greedy(model, vocabulary):
        return [reply(model, vocabulary, list(e.context), max_length=6).text for e in exchanges]

    return [
        Case(model, vocabulary=lambda: ChatVocabulary(words), build=_tiny_builder(family, model),
             inputs=lambda v: arrays(v)[0], targets=lambda v: arrays(v)[1], generate=greedy)
        for model in family.models
    ]


# The tiny cases of each family, by family name; a new family adds its line here with its tests.
FAMILY_CASES = {
    "char_rnn": _character_cases,
    "gpt": _character_cases,
    "hmm": _character_cases,
    "transformer": _pair_cases,
    "seq2seq": _pair_cases,
    "word2vec": _word2vec_cases,
    "elmo": _elmo_cases,
    "captioner": _captioner_cases,
    "chat": _chat_cases,
}


def _from_registry():
    """The tiny cases of every registered family."""
    from kerazoo.models.registry import FAMILIES

    return [case for family in FAMILIES if family.name in FAMILY_CASES for case in FAMILY_CASES[family.name](family)]


CASES = _from_registry()
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
