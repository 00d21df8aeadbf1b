"""ELMo's word vocabulary: the ids of the biLM's softmax, four special tokens first."""

import collections

import numpy as np

from kerazoo.data.vocabulary import Vocabulary

PADDING_TOKEN = "<pad>"
OOV_TOKEN = "<unk>"
BOS_TOKEN = "<S>"
EOS_TOKEN = "</S>"
SPECIAL_TOKENS = (PADDING_TOKEN, OOV_TOKEN, BOS_TOKEN, EOS_TOKEN)
PADDING_ID, OOV_ID, BOS_ID, EOS_ID = range(4)


class BilmVocabulary(Vocabulary):
    """Words <-> ids for the softmax of a word-level language model.

    Ids 0-3 are `<pad>` (never a target), `<unk>`, `<S>` and `</S>`; the words
    follow, most frequent first, which is the order a log-uniform sampler
    assumes (see `kerazoo.layers.SampledSoftmax`).

    Args:
        words: list of str, the words without the special tokens, in id order.

    Example:

    >>> vocabulary = BilmVocabulary.from_tokens("a rose is a rose".split())
    >>> vocabulary.encode(["a", "rose", "tulip"])
    array([4, 5, 1], dtype=int32)
    """

    json_header = {"special_tokens": list(SPECIAL_TOKENS)}
    config_keys = ("words",)

    def __init__(self, words):
        words = list(words)
        clash = sorted(set(words) & set(SPECIAL_TOKENS))
        if clash:
            raise ValueError(f"`words` must not hold the special tokens. Received: {clash}")
        if len(set(words)) != len(words):
            raise ValueError("`words` must not repeat a word.")
        self.words = words
        self.tokens = list(SPECIAL_TOKENS) + words
        self._index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def from_tokens(cls, tokens, max_size=None, min_count=1):
        """The words of `tokens` seen at least `min_count` times, at most `max_size` of them (ties by first sight)."""
        if max_size is not None and (int(max_size) != max_size or max_size < 1):
            raise ValueError(f"`max_size` must be an integer >= 1 or None. Received: max_size={max_size}")
        counts = collections.Counter(token for token in tokens if token not in SPECIAL_TOKENS)
        if not counts:
            raise ValueError("Cannot build a vocabulary from no tokens.")
        words = [word for word, count in counts.most_common(max_size) if count >= min_count]
        return cls(words)

    def encode(self, tokens):
        """int32 ids of `tokens`; unknown words map to `<unk>` (1)."""
        return self.lookup(tokens, OOV_ID)

    def decode(self, ids):
        return [self.tokens[i] for i in np.asarray(ids).reshape(-1).tolist()]

    def get_config(self):
        return {"words": self.words}
