"""Data for the punctuation-and-case tagger over ELMo: word lists, word ids and cached biLM layers.

The task is `kerazoo.data.punctuation`'s tags: for each lowercased word of a
speech stripped of punctuation, the mark that follows it and whether it was
capitalised. A tagger reads one sequence of words at a time, at most
`max_words` long:

- `tagging_sequences(speeches, max_words, split_long=False)` cuts each speech
  to its first `max_words` words (training: cheap, and 90% of the speeches
  have at most 63 words), or with `split_long=True` splits it into pieces of
  at most `max_words` words, so that every word of a held-out speech is scored.
- `word_ids(sequences, index)` maps words to ids (0 padding, 1 unknown).
- `elmo_layer_features(embedder, sequences)` runs a frozen `ElmoEmbedder` once
  and keeps all its L + 1 layers per word, `(words, L + 1, dim)` float16, so
  that a task-trained `ScalarMix` can mix them later without the biLM;
  `gather_features` pads a batch of them back into `(batch, time, L + 1, dim)`.

Pure Python and NumPy (the embedder runs in whatever backend Keras uses).
"""

import dataclasses

import numpy as np

from kerazoo.utils.arguments import check_integer

PAD_ID = 0
UNKNOWN_ID = 1


@dataclasses.dataclass
class TaggingSequences:
    """Word sequences with their tags.

    Attributes:
        words: list of list of str, lowercase.
        punctuation: list of int8 arrays, one `PUNCTUATION` class per word.
        capitals: list of bool arrays, one per word.
    """

    words: list
    punctuation: list
    capitals: list

    def __len__(self):
        return len(self.words)

    @property
    def word_count(self):
        return sum(len(words) for words in self.words)


def tagging_sequences(speeches, max_words=64, split_long=False):
    """The tagger's sequences of a `PunctuationSpeeches`: each speech cut, or split, to `max_words` words.

    Args:
        speeches: a `kerazoo.data.punctuation.PunctuationSpeeches`.
        max_words: int. The longest sequence.
        split_long: bool. Split a longer speech into consecutive pieces
            instead of keeping only its first `max_words` words.
    """
    check_integer("max_words", max_words, minimum=1)
    result = TaggingSequences([], [], [])
    for text, punctuation, capitals in zip(speeches.inputs, speeches.punctuation, speeches.capitals):
        words = text.split()
        starts = range(0, len(words), max_words) if split_long else [0]
        for start in starts:
            end = start + max_words
            result.words.append(words[start:end])
            result.punctuation.append(np.asarray(punctuation[start:end], dtype=np.int8))
            result.capitals.append(np.asarray(capitals[start:end], dtype=bool))
    return result


def word_index(words, min_count=1):
    """`{word: id}` for the words seen at least `min_count` times, most frequent first, from id 2."""
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    kept = sorted((word for word, count in counts.items() if count >= min_count), key=lambda w: (-counts[w], w))
    return {word: i for i, word in enumerate(kept, start=2)}


def word_ids(sequences, index, length=None):
    """`(count, length)` int32 ids: `index[word]`, `UNKNOWN_ID` for a word not in it, `PAD_ID` after the end."""
    length = max(len(words) for words in sequences) if length is None else length
    ids = np.zeros((len(sequences), length), dtype=np.int32)
    for row, words in enumerate(sequences):
        ids[row, : len(words)] = [index.get(word, UNKNOWN_ID) for word in words[:length]]
    return ids


def pad_tags(tags, length):
    """`(count, length)` array of per-word tags, zero after each sequence's end."""
    padded = np.zeros((len(tags), length), dtype=np.int32)
    for row, values in enumerate(tags):
        padded[row, : len(values)] = np.asarray(values[:length], dtype=np.int32)
    return padded


def elmo_layer_features(embedder, sequences, batch_size=128, progress=None):
    """Every layer of a frozen `ElmoEmbedder` for every word: `(features, spans)`.

    Sequences are embedded longest-first in batches of similar length (little
    padding), each as its own sentence wrapped in `<S>` ... `</S>`.

    Args:
        embedder: an `ElmoEmbedder`.
        sequences: list of list of str, each non-empty.
        batch_size: int. Sequences per call.
        progress: optional callable taking the number of sequences done.

    Returns:
        `features` float16 `(total words, L + 1, dim)`, layers in
        `embedder.layer_names` order; and `spans` int64 `(len(sequences), 2)`:
        the words of sequence i are rows `spans[i, 0]:spans[i, 1]`.
    """
    check_integer("batch_size", batch_size, minimum=1)
    lengths = np.array([len(words) for words in sequences], dtype=np.int64)
    if not len(lengths) or lengths.min() < 1:
        raise ValueError("`sequences` must be a non-empty list of non-empty word lists.")
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    names = embedder.layer_names
    features = None
    order = np.argsort(-lengths, kind="stable")
    for done in range(0, len(order), batch_size):
        chunk = order[done : done + batch_size]
        outputs = embedder.embed([" ".join(sequences[i]) for i in chunk], batch_size=len(chunk))
        stacked = np.stack([outputs[name] for name in names], axis=2)
        if features is None:
            features = np.zeros((offsets[-1],) + stacked.shape[2:], dtype=np.float16)
        for row, i in enumerate(chunk):
            features[offsets[i] : offsets[i + 1]] = stacked[row, : lengths[i]]
        if progress is not None:
            progress(done + len(chunk))
    return features, np.stack([offsets[:-1], offsets[1:]], axis=1)


def gather_features(features, spans, indices, length):
    """`(len(indices), length, L + 1, dim)` float32 features of sequences `indices`, zero-padded.

    Sequence i's words are rows `spans[i, 0]:spans[i, 1]` of `features`.
    """
    batch = np.zeros((len(indices), length) + features.shape[1:], dtype=np.float32)
    for row, i in enumerate(indices):
        words = features[spans[i, 0] : spans[i, 1]][:length]
        batch[row, : len(words)] = words
    return batch


def length_batches(lengths, batch_size, rng=None, width_step=16):
    """Index batches of sequences of similar length: `[(indices, width), ...]`.

    Sequences are sorted by length (after a shuffle when `rng` is given, so
    equal lengths come in random order), cut into batches of `batch_size`, and
    the batches shuffled; `width` is the batch's longest length rounded up to
    a multiple of `width_step`, so few distinct shapes reach the model.
    """
    lengths = np.asarray(lengths)
    order = np.arange(len(lengths)) if rng is None else rng.permutation(len(lengths))
    order = order[np.argsort(lengths[order], kind="stable")]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return [(batch, int(-(-lengths[batch].max() // width_step) * width_step)) for batch in batches]


def layer_statistics(features, rows=None, minimum_variance=1e-2):
    """`(mean, variance)` `(L + 1, dim)` float32 of cached layer `features` (over `rows`, default all).

    The variance is at least `minimum_variance`, so a unit that never moves is not blown up.
    """
    values = np.asarray(features if rows is None else features[rows], dtype=np.float64)
    return values.mean(axis=0).astype("float32"), np.maximum(values.var(axis=0), minimum_variance).astype("float32")
