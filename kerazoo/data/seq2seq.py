"""Character vocabularies and padded id arrays for sequence-to-sequence pairs.

Both sides are character-level. Id 0 is padding, and it is also what a
character outside the vocabulary becomes (the `CharVocabulary` convention),
so an unknown source character is ignored by attention just like padding.
The target vocabulary holds two control characters, START (U+0002) and END
(U+0003): the decoder reads START + target and learns to predict target + END.
"""

import numpy as np

from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.data.vocabulary import Vocabulary

START = "\x02"
END = "\x03"


class PairVocabulary(Vocabulary):
    """The source and target vocabularies of a sequence-to-sequence model.

    It has no single size: `source.size` and `target.size` are the two.

    Args:
        source: `CharVocabulary` of the inputs.
        target: `CharVocabulary` of the outputs, including START and END.
    """

    config_keys = ("source", "target")

    def __init__(self, source, target):
        for mark in (START, END):
            if mark not in target.characters:
                raise ValueError(f"The target vocabulary must hold the control character {mark!r}.")
        self.source, self.target = source, target
        self.start_id = int(target.encode(START)[0])
        self.end_id = int(target.encode(END)[0])

    @classmethod
    def from_pairs(cls, pairs):
        if not pairs:
            raise ValueError("`pairs` must hold at least one (source, target) pair. Received: pairs=[]")
        source = CharVocabulary.from_text("".join(s for s, _ in pairs))
        target = CharVocabulary.from_text("".join(t for _, t in pairs) + START + END)
        return cls(source, target)

    def encode_sources(self, sources, length=None):
        """Right-padded source ids `(n, length)`; length None is the longest source."""
        encoded = [self.source.encode(text) for text in sources]
        length = length or max(len(ids) for ids in encoded)
        out = np.zeros((len(sources), length), dtype=np.int32)
        for row, ids in enumerate(encoded):
            out[row, : min(len(ids), length)] = ids[:length]
        return out

    def encode_pairs(self, pairs, source_length=None, target_length=None):
        """Model inputs and targets for teacher forcing.

        Returns:
            `(inputs, targets)`: inputs is a dict with `encoder_token_ids` and
            `decoder_token_ids` (START + target); targets is target + END,
            padded with 0 (ignored by the loss).
        """
        sources = self.encode_sources([s for s, _ in pairs], source_length)
        encoded = [self.target.encode(t) for _, t in pairs]
        width = target_length or (max(len(ids) for ids in encoded) + 1)
        decoder_inputs = np.zeros((len(pairs), width), dtype=np.int32)
        targets = np.zeros((len(pairs), width), dtype=np.int32)
        for row, ids in enumerate(encoded):
            ids = list(ids[: width - 1])
            decoder_inputs[row, : len(ids) + 1] = [self.start_id] + ids
            targets[row, : len(ids) + 1] = ids + [self.end_id]
        return {"encoder_token_ids": sources, "decoder_token_ids": decoder_inputs}, targets

    def decode_target(self, ids):
        """Target text up to (not including) the first END."""
        ids = list(np.asarray(ids))
        if self.end_id in ids:
            ids = ids[: ids.index(self.end_id)]
        return self.target.decode([i for i in ids if i != self.start_id])

    @property
    def size(self):
        raise AttributeError("A PairVocabulary has two sizes: `source.size` and `target.size`.")

    def __repr__(self):
        return f"PairVocabulary(source_size={self.source.size}, target_size={self.target.size})"

    def get_config(self):
        return {"source": self.source.characters, "target": self.target.characters}

    @classmethod
    def from_config(cls, config):
        return cls(CharVocabulary(config["source"]), CharVocabulary(config["target"]))
