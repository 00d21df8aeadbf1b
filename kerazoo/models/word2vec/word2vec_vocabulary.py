"""word2vec's vocabulary: words and their corpus counts, the most frequent first."""

import collections

import numpy as np

from kerazoo.data.vocabulary import Vocabulary


class WordVocabulary(Vocabulary):
    """Words and their corpus counts, the most frequent first.

    Ids follow the order of `words`: id 0 is the most frequent word. Among
    words of equal count, the one that first appears later in the corpus
    comes first, as in gensim, so both number a corpus alike. There is no
    out-of-vocabulary id: word2vec drops unknown words from sentences.

    Args:
        words: list of str. Distinct words, most frequent first.
        counts: list of int. The corpus count of each word.

    Example:

    >>> vocab = WordVocabulary.from_sentences([["a", "b", "a"], ["c", "a", "b"]], min_count=2)
    >>> vocab.words, vocab.counts.tolist()
    (['a', 'b'], [3, 2])
    """

    config_keys = ("words", "counts")

    def __init__(self, words, counts):
        words = list(words)
        counts = np.asarray(counts, dtype=np.int64)
        if len(words) != len(counts):
            raise ValueError(
                f"`words` and `counts` must have the same length. Received: {len(words)} words "
                f"and {len(counts)} counts"
            )
        if len(set(words)) != len(words):
            raise ValueError("`words` must be distinct.")
        if len(counts) and counts.min() < 1:
            raise ValueError(f"`counts` must be >= 1. Received: a count of {counts.min()}")
        self.words = words
        self.counts = counts
        self.index = {word: i for i, word in enumerate(words)}

    @classmethod
    def from_sentences(cls, sentences, min_count=5, max_vocab=None):
        """Counts the words of `sentences` and keeps the frequent ones.

        Args:
            sentences: iterable of lists of str.
            min_count: int. Words seen fewer times are dropped.
            max_vocab: int or None. Keep at most this many of the most frequent words.
        """
        if min_count < 1:
            raise ValueError(f"`min_count` must be >= 1. Received: min_count={min_count}")
        if max_vocab is not None and max_vocab < 1:
            raise ValueError(f"`max_vocab` must be >= 1 or None. Received: max_vocab={max_vocab}")
        counter = collections.Counter()
        for sentence in sentences:
            counter.update(sentence)
        return cls.from_counter(counter, min_count, max_vocab)

    @classmethod
    def from_counter(cls, counter, min_count=5, max_vocab=None):
        """The vocabulary of word counts in a `collections.Counter`, in its first-appearance order.

        `from_sentences` and the counting pass over text shards
        (`kerazoo.data.text_shards.count_words`) both end here, so a streamed
        corpus and the same corpus in memory get the same vocabulary.
        """
        if min_count < 1:
            raise ValueError(f"`min_count` must be >= 1. Received: min_count={min_count}")
        if max_vocab is not None and max_vocab < 1:
            raise ValueError(f"`max_vocab` must be >= 1 or None. Received: max_vocab={max_vocab}")
        if not counter:
            raise ValueError("Cannot build a vocabulary from an empty corpus (no words).")
        # Counter keeps first-appearance order; ties go latest first, as gensim sorts them.
        ranked = [
            item for _, item in sorted(enumerate(counter.items()), key=lambda pair: (-pair[1][1], -pair[0]))
        ]
        kept = [(word, count) for word, count in ranked if count >= min_count]
        if max_vocab is not None:
            kept = kept[:max_vocab]
        if not kept:
            raise ValueError(
                f"`min_count`={min_count} removes every word: the most frequent word "
                f"{ranked[0][0]!r} appears {ranked[0][1]} times. Use a smaller min_count."
            )
        return cls([w for w, _ in kept], [c for _, c in kept])

    @property
    def tokens(self):
        """The words in id order (there is no out-of-vocabulary id)."""
        return self.words

    def __contains__(self, word):
        return word in self.index

    def encode(self, sentences):
        """Flattens `sentences` into ids, dropping unknown words.

        Returns:
            `(ids, sentence_ids)`: two int32 arrays of the same length, the word
            ids in corpus order and the index of the sentence each came from.
        """
        index = self.index
        ids, sentence_ids = [], []
        for i, sentence in enumerate(sentences):
            known = [index[word] for word in sentence if word in index]
            ids.extend(known)
            sentence_ids.extend([i] * len(known))
        return np.asarray(ids, dtype=np.int32), np.asarray(sentence_ids, dtype=np.int32)

    def get_config(self):
        return {"words": self.words, "counts": self.counts.tolist()}
