"""The units an n-gram model counts: characters (`CharVocabulary`) or word tokens (`TokenVocabulary`)."""

import collections
import json
import re

import numpy as np

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.data.vocabulary import OOV_TOKEN
from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.data.vocabulary import Vocabulary

UNITS = ("char", "word")
# A word token: a run of letters (with apostrophes, "o'er"), or one other non-space character.
WORD_PATTERN = re.compile(r"[A-Za-z']+|[^\sA-Za-z']")
# The same split in RE2, as an exported graph makes it with `tf.strings.regex_replace`: every
# character Python's `\s` matches counts as a space, and each character of `ALONE_PATTERN`
# becomes a token of its own (see `kerazoo.models.causal_lm.causal_lm_export.prompt_units`).
SPACE_PATTERN = r"[\s\x0b\x1c-\x1f\x85\pZ]"
ALONE_PATTERN = r"[^\s\x0b\x1c-\x1f\x85\pZA-Za-z']"
# Punctuation written against the word before it.
_CLOSING = set(".,;:!?)]}")


def tokenize_words(text):
    """The word tokens of `text`: case kept, punctuation marks as tokens of their own, whitespace dropped."""
    return WORD_PATTERN.findall(text)


class TokenVocabulary(Vocabulary):
    """Word tokens and their ids; id 0 is the out-of-vocabulary token, as in `CharVocabulary`.

    The other ids follow the tokens' training counts, most frequent first
    (ties in sorted order). Decoding writes a space before each word and
    none before closing punctuation, so `prompt + decode(continuation)` reads
    as text.

    Args:
        tokens: list of str, without the out-of-vocabulary token.
    """

    json_header = {"oov_token": OOV_TOKEN, "unit": "word"}
    config_keys = ("tokens",)

    def __init__(self, tokens):
        tokens = list(tokens)
        if len(set(tokens)) != len(tokens) or OOV_TOKEN in tokens:
            raise ValueError("`tokens` must be distinct and must not hold the out-of-vocabulary token.")
        self.tokens = [OOV_TOKEN] + tokens
        self._index = {token: i + 1 for i, token in enumerate(tokens)}

    @classmethod
    def from_text(cls, text, min_count=1, max_vocab=None):
        if min_count < 1:
            raise ValueError(f"`min_count` must be >= 1. Received: min_count={min_count}")
        counts = collections.Counter(tokenize_words(text))
        if not counts:
            raise ValueError("Cannot build a word vocabulary from a text without words.")
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = [token for token, count in ranked if count >= min_count][:max_vocab]
        return cls(kept)

    split_patterns = (SPACE_PATTERN, ALONE_PATTERN)

    @property
    def token_texts(self):
        """The text each id decodes to (see `decode`), id 0 included: what an exported graph joins."""
        return [""] + [token if token in _CLOSING else " " + token for token in self.tokens[1:]]

    def encode(self, text):
        """The ids of the word tokens of `text` (unknown ones -> 0).

        A text without tokens (a prompt of whitespace) is the start of a text:
        it encodes as the start-of-text id 0, which the model reads as padding.
        """
        ids = self.lookup(tokenize_words(text), OOV_ID)
        return ids if len(ids) else np.asarray([OOV_ID], dtype=np.int32)

    def decode(self, ids):
        tokens = self.tokens
        return "".join(
            tokens[i] if tokens[i] in _CLOSING else " " + tokens[i] for i in self.checked_ids(ids) if i != OOV_ID
        )

    def get_config(self):
        return {"tokens": self.tokens[1:]}


def check_unit(unit):
    if unit not in UNITS:
        raise ValueError(f"`unit` must be one of {list(UNITS)}. Received: unit={unit!r}")


def make_vocabulary(unit, text, min_count=1, max_vocab=None):
    """The vocabulary of `unit` built from `text`."""
    check_unit(unit)
    if unit == "char":
        return CharVocabulary.from_text(text)
    return TokenVocabulary.from_text(text, min_count=min_count, max_vocab=max_vocab)


def load_vocabulary(path):
    """A saved n-gram vocabulary of either unit, recognised from its keys."""
    with open(path, encoding="utf-8") as f:
        keys = set(json.load(f))
    return TokenVocabulary.load(path) if "tokens" in keys else CharVocabulary.load(path)


def units_in(vocabulary, text):
    """How many units (characters or word tokens) `text` holds, for per-unit figures."""
    return len(text) if isinstance(vocabulary, CharVocabulary) else len(tokenize_words(text))
