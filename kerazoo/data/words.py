"""Words for the word-level models: a tokenizer, a word vocabulary, and ELMo's character ids.

Tokens. `tokenize` splits a line into words and punctuation marks, keeping case
and the inner apostrophes and hyphens of words ("woo'd", "step-dame"). The
ELMo SavedModel splits its input on whitespace only, so text sent to it should
go through `tokenize` first and be joined with spaces (`" ".join(tokenize(line))`).

Character ids (Peters et al. 2018; allenai/bilm-tf `UnicodeCharsVocabulary`).
A token becomes `max_characters` (50) ids: begin-of-word, the token's UTF-8
bytes, end-of-word, then padding. Bytes are used rather than characters, so any
text, ASCII or not, has ids and nothing is out of vocabulary; a token longer
than `max_characters - 2` bytes is cut to its first `max_characters - 2` bytes.

    0        padding (also the whole row of a padding token)
    1..256   byte b -> b + 1
    257      begin-of-sentence character   258  end-of-sentence character
    259      begin-of-word                 260  end-of-word

The sentence boundaries `<S>` and `</S>` are whole tokens with rows
[259, 257, 260] and [259, 258, 260]; only the language-model data and the
embedder insert them, never a user's text.
Pure Python and NumPy: no TensorFlow is needed.
"""

import collections
import json
import os
import re

import numpy as np

MAX_CHARACTERS = 50
PADDING_CHARACTER = 0
BOS_CHARACTER = 257
EOS_CHARACTER = 258
BOW_CHARACTER = 259
EOW_CHARACTER = 260
CHARACTER_VOCABULARY_SIZE = 261

PADDING_TOKEN = "<pad>"
OOV_TOKEN = "<unk>"
BOS_TOKEN = "<S>"
EOS_TOKEN = "</S>"
SPECIAL_TOKENS = (PADDING_TOKEN, OOV_TOKEN, BOS_TOKEN, EOS_TOKEN)
PADDING_ID, OOV_ID, BOS_ID, EOS_ID = range(4)

# A word keeps its inner apostrophes and hyphens; every other mark is a token of its own.
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


# The whitespace `tf.strings.split` splits on, so that Python and the SavedModel see the same tokens.
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


def split_whitespace(sentence):
    """The tokens of a whitespace-tokenised sentence, split on ASCII whitespace only, as the SavedModel splits."""
    return [token for token in _WHITESPACE.split(sentence) if token]


def tokenize(line):
    """Splits `line` into words and punctuation marks: "O, woo'd!" -> ["O", ",", "woo'd", "!"]."""
    return _TOKEN.findall(line)


def _check_max_characters(max_characters):
    if int(max_characters) != max_characters or max_characters < 3:
        raise ValueError(f"`max_characters` must be an integer >= 3. Received: max_characters={max_characters}")


def boundary_characters(character, max_characters=MAX_CHARACTERS):
    """The id row of a sentence boundary: `character` is BOS_CHARACTER or EOS_CHARACTER."""
    row = np.zeros(max_characters, np.int32)
    row[:3] = (BOW_CHARACTER, character, EOW_CHARACTER)
    return row


def encode_characters(tokens, max_characters=MAX_CHARACTERS):
    """The character ids of each token, `(len(tokens), max_characters)` int32.

    Args:
        tokens: list of str. Each is encoded as UTF-8 and cut to
            `max_characters - 2` bytes; an empty token is an error.
        max_characters: int. Ids per token, the two word marks included.
    """
    _check_max_characters(max_characters)
    rows = np.zeros((len(tokens), max_characters), np.int32)
    limit = max_characters - 2
    for i, token in enumerate(tokens):
        if not isinstance(token, str) or not token:
            raise ValueError(f"Every token must be a non-empty str. Received: tokens[{i}]={token!r}")
        data = token.encode("utf-8")[:limit]
        rows[i, 0] = BOW_CHARACTER
        rows[i, 1 : len(data) + 1] = np.frombuffer(data, np.uint8).astype(np.int32) + 1
        rows[i, len(data) + 1] = EOW_CHARACTER
    return rows


def encode_sentences(sentences, max_characters=MAX_CHARACTERS):
    """Whitespace-tokenised sentences -> `(characters (batch, T, max_characters), lengths (batch,))`.

    This is what the ELMo SavedModel's `embed` signature does in its graph:
    split each sentence on ASCII whitespace (`split_whitespace`), encode each
    token, pad with zero rows to the longest sentence. A sentence without
    tokens is an error.
    """
    if isinstance(sentences, str):
        raise ValueError(f"`sentences` must be a list of str, not one str. Received: sentences={sentences!r}")
    split = [split_whitespace(sentence) for sentence in sentences]
    if not split:
        raise ValueError("`sentences` must hold at least one sentence. Received: sentences=[]")
    empty = [i for i, tokens in enumerate(split) if not tokens]
    if empty:
        raise ValueError(
            f"Every sentence must hold at least one token; empty sentences at positions {empty}."
        )
    lengths = np.array([len(tokens) for tokens in split], np.int32)
    characters = np.zeros((len(split), lengths.max(), max_characters), np.int32)
    for i, tokens in enumerate(split):
        characters[i, : len(tokens)] = encode_characters(tokens, max_characters)
    return characters, lengths


class WordVocabulary:
    """Words <-> ids for the softmax of a word-level language model.

    Ids 0-3 are `<pad>` (never a target), `<unk>`, `<S>` and `</S>`; the words
    follow, most frequent first, which is the order a log-uniform sampler
    assumes (see `kerazoo.layers.SampledSoftmax`).

    Args:
        words: list of str, the words without the special tokens, in id order.

    Example:

    >>> vocabulary = WordVocabulary.from_tokens("a rose is a rose".split())
    >>> vocabulary.encode(["a", "rose", "tulip"])
    array([4, 5, 1], dtype=int32)
    """

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

    @property
    def size(self):
        """The number of ids, the four special tokens included."""
        return len(self.tokens)

    def __len__(self):
        return self.size

    def encode(self, tokens):
        """int32 ids of `tokens`; unknown words map to `<unk>` (1)."""
        index = self._index
        return np.fromiter((index.get(t, OOV_ID) for t in tokens), dtype=np.int32, count=len(tokens))

    def decode(self, ids):
        return [self.tokens[i] for i in np.asarray(ids).reshape(-1).tolist()]

    def get_config(self):
        return {"words": self.words}

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"special_tokens": list(SPECIAL_TOKENS), **self.get_config()}, f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        if os.path.isdir(path):
            path = os.path.join(path, "vocabulary.json")
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f)["words"])

    def __eq__(self, other):
        return isinstance(other, WordVocabulary) and self.tokens == other.tokens

    def __repr__(self):
        return f"WordVocabulary(size={self.size})"
