"""Training data for a bidirectional word language model (ELMo's biLM), as tf.data or NumPy batches.

Sentences. For the embedded corpus each line of speech is a sentence (no
speaker names, no stage directions), and whole plays are held out for
validation (`DEFAULT_VALIDATION_PLAYS`, one of each of four genres). For a
text file each non-empty line is a sentence and the last 10% of the lines
validate. Lines go through `kerazoo.data.words.tokenize_with_punctuation`,
which keeps case and punctuation (word2vec's `kerazoo.data.words.tokenize`
keeps lowercase letters only): the biLM predicts every token, and its
character CNN reads capitals. With `text="plain"` the same tokens are
lowercased and the punctuation marks dropped (`plain_words`): the text a
punctuation-restoration tagger reads, so a biLM trained on it reads at
inference what it read in training.

Stream and windows. The sentences of a split are joined into one stream,
each wrapped in `<S>` ... `</S>`, as allenai/bilm-tf feeds its biLM. The
stream is cut into windows of `seq_length` tokens; a window's forward targets
are the tokens one step later and its backward targets the tokens one step
earlier, so every stream token is predicted once in each direction.

Batches are `(token_characters (batch, seq_length, 50), {"forward": ids,
"backward": ids})`. Characters come from each token's spelling, so a word
outside the softmax vocabulary still has its own characters; only its target
id is `<unk>`.
"""

import dataclasses
import os

import numpy as np
import keras

from kerazoo.data import shakespeare
from kerazoo.data.characters import BOS_CHARACTER
from kerazoo.data.characters import EOS_CHARACTER
from kerazoo.data.characters import MAX_CHARACTERS
from kerazoo.data.characters import boundary_characters
from kerazoo.data.characters import encode_characters
from kerazoo.data.pipeline import _use_tf_data
from kerazoo.data.pipeline import batch_windows_tf
from kerazoo.data.pipeline import check_enough_windows
from kerazoo.data.punctuation import tag_text
from kerazoo.data.words import tokenize_with_punctuation
from kerazoo.models.elmo.elmo_vocabulary import BOS_ID
from kerazoo.models.elmo.elmo_vocabulary import BOS_TOKEN
from kerazoo.models.elmo.elmo_vocabulary import EOS_ID
from kerazoo.models.elmo.elmo_vocabulary import EOS_TOKEN
from kerazoo.models.elmo.elmo_vocabulary import OOV_ID

# One comedy, one history, one Roman play and one tragedy: 4 of the 38 plays.
DEFAULT_VALIDATION_PLAYS = ("twelfth-night", "richard-ii", "julius-caesar", "macbeth")
# "cased": words and marks as written; "plain": lowercased words, no marks.
TEXT_FORMS = ("cased", "plain")


def plain_words(line):
    """The words of `line` as the punctuation task's input has them, lowercased: "O, woo'd!" -> ["o", "woo'd"]."""
    return [word.lower() for word in tag_text(line)[0]]


def check_text(text):
    """Raises a ValueError naming `text` unless it is one of `TEXT_FORMS`."""
    if text not in TEXT_FORMS:
        raise ValueError(f"`text` must be one of {list(TEXT_FORMS)}. Received: text={text!r}")


def play_lines(play):
    """The lines of speech of a `Play`, in order, as str."""
    return [line for speech in play.speeches for line in speech.lines]


def load_sentences(corpus="shakespeare", validation_plays=DEFAULT_VALIDATION_PLAYS, text="cased"):
    """`(train, validation)` lists of tokenised sentences.

    Args:
        corpus: str. `"shakespeare"` (the embedded complete plays) or a text file path.
        validation_plays: list of play slugs held out whole (the embedded corpus only).
        text: `"cased"` (words and marks as written) or `"plain"` (lowercased words only).
    """
    check_text(text)
    tokenize = tokenize_with_punctuation if text == "cased" else plain_words
    if corpus == "shakespeare":
        plays = shakespeare.load_plays()
        slugs = {play.slug for play in plays}
        unknown = sorted(set(validation_plays) - slugs)
        if unknown or not validation_plays:
            raise ValueError(
                f"`validation_plays` must name one or more of {sorted(slugs)}. Received: validation_plays={list(validation_plays)}"
            )
        train, validation = [], []
        for play in plays:
            target = validation if play.slug in validation_plays else train
            target.extend(tokenize(line) for line in play_lines(play))
    else:
        if not os.path.isfile(str(corpus)):
            raise FileNotFoundError(f"`corpus` must be 'shakespeare' or a text file path. Received: corpus={corpus!r}")
        from kerazoo.data.text_files import read_text_file

        sentences = [tokenize(line) for line in read_text_file(corpus, "corpus").splitlines()]
        sentences = [s for s in sentences if s]
        if len(sentences) < 2:
            raise ValueError(f"{corpus!r} holds {len(sentences)} non-empty lines; at least 2 are needed.")
        cut = len(sentences) - max(1, len(sentences) // 10)
        train, validation = sentences[:cut], sentences[cut:]
    train = [s for s in train if s]
    validation = [s for s in validation if s]
    return train, validation


@dataclasses.dataclass
class TokenStream:
    """A split as one stream of token types, each type with its characters and its softmax id.

    Attributes:
        type_ids: int32 `(n,)`, the stream, as indices into the type table.
        characters: int32 `(types, max_characters)`, each type's character ids.
        word_ids: int32 `(types,)`, each type's id in the word vocabulary.
    """

    type_ids: np.ndarray
    characters: np.ndarray
    word_ids: np.ndarray

    @classmethod
    def from_sentences(cls, sentences, vocabulary, max_characters=MAX_CHARACTERS):
        types = {BOS_TOKEN: 0, EOS_TOKEN: 1}
        stream = []
        for sentence in sentences:
            stream.append(0)
            for token in sentence:
                stream.append(types.setdefault(token, len(types)))
            stream.append(1)
        words = list(types)[2:]
        characters = np.concatenate(
            [
                boundary_characters(BOS_CHARACTER, max_characters)[None],
                boundary_characters(EOS_CHARACTER, max_characters)[None],
                encode_characters(words, max_characters).reshape(-1, max_characters),
            ]
        )
        word_ids = np.concatenate([[BOS_ID, EOS_ID], vocabulary.encode(words)]).astype(np.int32)
        return cls(np.asarray(stream, np.int32), characters, word_ids)

    def __len__(self):
        return len(self.type_ids)

    def unknown_rate(self):
        """The fraction of stream tokens whose target is `<unk>`."""
        return float(np.mean(self.word_ids[self.type_ids] == OOV_ID))

    def windows(self, seq_length):
        """`(n, seq_length + 2)` type indices: each window with one token of context on each side."""
        if int(seq_length) != seq_length or seq_length < 1:
            raise ValueError(f"`seq_length` must be an integer >= 1. Received: seq_length={seq_length}")
        count = (len(self.type_ids) - 2) // seq_length
        if count < 1:
            raise ValueError(
                f"The stream ({len(self.type_ids)} tokens) is too short for one window of `seq_length`={seq_length}."
            )
        starts = np.arange(count) * seq_length
        return self.type_ids[starts[:, None] + np.arange(seq_length + 2)]


def window_batch(windows, characters, word_ids):
    """`(token_characters, {"forward", "backward"})` for windows `(batch, seq_length + 2)` of type indices (NumPy)."""
    middle = windows[:, 1:-1]
    targets = word_ids[windows]
    return characters[middle], {"forward": targets[:, 2:], "backward": targets[:, :-2]}


class BilmBatches(keras.utils.PyDataset):
    """Batches of windows for any backend, shuffled each pass when training."""

    def __init__(self, stream, seq_length, batch_size, shuffle=True, repeat=False, seed=None):
        super().__init__()
        self.stream = stream
        self.windows = stream.windows(seq_length)
        self.batch_size, self.shuffle, self.repeat = batch_size, shuffle, repeat
        self.seed = seed
        count = len(self.windows)
        self._per_pass = max(1, count // batch_size) if shuffle else -(-count // batch_size)

    @property
    def num_batches(self):
        return None if self.repeat else self._per_pass

    def __getitem__(self, index):
        pass_index, position = divmod(index, self._per_pass)
        # The order of pass p is a pure function of (seed, p): resumes and workers agree.
        order = (
            np.random.default_rng([self.seed or 0, pass_index]).permutation(len(self.windows))
            if self.shuffle
            else np.arange(len(self.windows))
        )
        rows = order[position * self.batch_size : (position + 1) * self.batch_size]
        return window_batch(self.windows[rows], self.stream.characters, self.stream.word_ids)


def make_bilm_dataset(stream, seq_length, batch_size, shuffle=True, repeat=False, seed=None, pipeline="auto"):
    """Batches of `(token_characters, {"forward": ids, "backward": ids})` from a `TokenStream`.

    Args:
        stream: a `TokenStream`.
        seq_length: int. Tokens per window.
        batch_size: int.
        shuffle: bool. Shuffle windows and drop the last partial batch (training).
        repeat: bool. Repeat forever, for `fit(steps_per_epoch=...)`.
        seed: int or None.
        pipeline: `"tf"`, `"numpy"` or `"auto"` (tf.data on the TensorFlow backend).
    """
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"`batch_size` must be an integer >= 1. Received: batch_size={batch_size}")
    windows = stream.windows(seq_length)
    if shuffle:
        check_enough_windows(len(windows), seq_length, batch_size, "stream")
    if not _use_tf_data(pipeline):
        return BilmBatches(stream, seq_length, batch_size, shuffle, repeat, seed)

    import tensorflow as tf

    characters = tf.constant(stream.characters)
    word_ids = tf.constant(stream.word_ids)

    def to_batch(rows):
        targets = tf.gather(word_ids, rows)
        return tf.gather(characters, rows[:, 1:-1]), {"forward": targets[:, 2:], "backward": targets[:, :-2]}

    dataset = batch_windows_tf(tf.data.Dataset.from_tensor_slices(windows), len(windows), batch_size, shuffle,
                               repeat, seed)
    dataset = dataset.map(to_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
