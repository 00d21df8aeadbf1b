"""The chat family's units and vocabulary: lowercased words and punctuation marks, with special tokens first.

Units. A text is lowercased (A-Z only, so that Python and a SavedModel agree on
every other character), then split into runs of letters, digits and
apostrophes ("o'er", "'tis", "lords'") and single other characters (",", "?",
"-", "—"); whitespace only separates. `units("What, Curio?")` is
`["what", ",", "curio", "?"]`. An exported graph splits the same way with
`tf.strings` (`split_patterns`, read by `causal_lm_export.prompt_units`), and
tests/models/chat checks the two agree on every speech of the plays.

Ids. 0 `<pad>`, 1 `<unk>` (any unit outside the vocabulary: never a crash),
2 `<start>` (the decoder's first input), 3 `<end>` (the end of a speech),
4 `<turn>` (opens each turn of a context), 5 `<speaker>` (opens the name of the
one who replies), 6 `<none>` (the whole input of an empty-context model), then
the units, most frequent first. A reply never holds a special token but `<end>`.

A context is `[<speaker> name...] <turn> words... <turn> words...`: the last
`turns` turns, oldest first, of which only the last `length` ids are kept
(the name, when given, always stays in front).
"""

import collections
import re

import numpy as np

from kerazoo.data.vocabulary import Vocabulary
from kerazoo.models.ngram.ngram_vocabulary import SPACE_PATTERN

SPECIAL_TOKENS = ("<pad>", "<unk>", "<start>", "<end>", "<turn>", "<speaker>", "<none>")
PAD_ID, UNK_ID, START_ID, END_ID, TURN_ID, SPEAKER_ID, NONE_ID = range(len(SPECIAL_TOKENS))
# Ids a reply never holds (the decoder's logits for them are set to -1e9 when it generates).
NEVER_GENERATED = (PAD_ID, UNK_ID, START_ID, TURN_ID, SPEAKER_ID, NONE_ID)
# At most this many units of a speaker's name are read ("first citizen" is two).
MAX_NAME_UNITS = 4

_UNIT = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")
# The same split in RE2 for a graph: Python's `\s` is SPACE_PATTERN there (see kerazoo.models.ngram).
ALONE_PATTERN = r"[^\s\x0b\x1c-\x1f\x85\pZa-z0-9']"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Marks written against the unit before them.
_CLOSING = set(".,;:!?)]}")


def units(text):
    """The units of `text`: A-Z lowercased, runs of `[a-z0-9']` and single other characters; whitespace separates."""
    return _UNIT.findall(text.translate(_ASCII_LOWER))


class ChatVocabulary(Vocabulary):
    """Units <-> ids for the chat family (see the module docstring for the layout).

    Args:
        words: list of str. The units, in id order from id 7, without the special tokens.

    Example:

    >>> vocabulary = ChatVocabulary(["my", "lord", ","])
    >>> vocabulary.encode("My lord, Horatio")
    [7, 8, 9, 1]
    >>> vocabulary.decode([7, 8, 9, 3, 7])
    'my lord,'
    """

    json_header = {"special_tokens": list(SPECIAL_TOKENS)}
    config_keys = ("words",)
    split_patterns = (SPACE_PATTERN, ALONE_PATTERN)

    def __init__(self, words):
        words = list(words)
        bad = [w for w in words if not isinstance(w, str) or units(w) != [w] or w in SPECIAL_TOKENS]
        if bad or len(set(words)) != len(words):
            raise ValueError(f"`words` must be distinct units (see `units`). Received bad or repeated: "
                             f"{bad[:5] or sorted(w for w, n in collections.Counter(words).items() if n > 1)[:5]}")
        self.words = words
        self.tokens = [*SPECIAL_TOKENS, *words]
        self._index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def from_texts(cls, texts, size):
        """The `size - 7` most frequent units of `texts` (ties in sorted order), after the special tokens."""
        if isinstance(size, bool) or not isinstance(size, int) or size <= len(SPECIAL_TOKENS):
            raise ValueError(f"`size` must be an integer > {len(SPECIAL_TOKENS)}. Received: size={size!r}")
        counts = collections.Counter(unit for text in texts for unit in units(text))
        if not counts:
            raise ValueError("Cannot build a vocabulary from texts without units.")
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls([unit for unit, _ in ranked[: size - len(SPECIAL_TOKENS)]])

    def get_config(self):
        return {"words": self.words}

    @property
    def start_id(self):
        return START_ID

    @property
    def end_id(self):
        return END_ID

    def encode(self, text):
        """The ids of the units of `text` (a list of int); a unit outside the vocabulary is `<unk>`."""
        return self.lookup(units(text), UNK_ID).tolist()

    def context_ids(self, turns, turns_kept, length, speaker=None):
        """The encoder's ids for a conversation: see the module docstring.

        Args:
            turns: list of str, oldest first.
            turns_kept: int. How many of the last turns are read.
            length: int. The most ids kept (the latest ones; the name stays in front).
            speaker: str or None. The name of the one who replies.
        """
        ids = []
        for turn in list(turns)[-turns_kept:]:
            ids += [TURN_ID, *self.encode(turn)]
        name = [SPEAKER_ID, *self.encode(speaker)[:MAX_NAME_UNITS]] if speaker and units(speaker) else []
        return name + ids[len(ids) - (length - len(name)):] if len(name) + len(ids) > length else name + ids

    def reply_arrays(self, replies, length):
        """`(decoder inputs, targets)` int32 `(batch, length)` for teacher forcing.

        The targets are a reply's ids and `<end>`, cut to `length` (a longer reply keeps its first `length` ids
        and no end); the inputs are `<start>` and the targets shifted right. Padding is 0.
        """
        inputs = np.zeros((len(replies), length), dtype=np.int32)
        targets = np.zeros((len(replies), length), dtype=np.int32)
        for row, reply in enumerate(replies):
            target = (self.encode(reply) + [END_ID])[:length]
            targets[row, : len(target)] = target
            inputs[row, : len(target)] = [START_ID, *target[:-1]]
        return inputs, targets

    @property
    def token_texts(self):
        """The text each id adds to a reply: '' for special tokens, a mark as it is, a word after a space."""
        return ["" for _ in SPECIAL_TOKENS] + [w if w in _CLOSING else " " + w for w in self.words]

    def decode(self, ids):
        """The reply text of `ids`, up to the first `<end>` (special tokens write nothing)."""
        texts, pieces = self.token_texts, []
        for i in self.checked_ids(ids):
            if i == END_ID:
                break
            pieces.append(texts[i])
        return "".join(pieces).lstrip(" ")
