"""The captioner's word vocabulary: padding/unknown, start and end, then the grammar's words."""

import numpy as np

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.data.vocabulary import OOV_TOKEN
from kerazoo.data.vocabulary import Vocabulary
from kerazoo.models.captioner import captioner_scenes as scenes

START_TOKEN, END_TOKEN = "<start>", "<end>"


def grammar_words():
    """Every word a caption of `captioner_scenes` can hold, sorted."""
    words = {"a", "there", "is", "and", "it", *scenes.SIZES, *scenes.COLOURS, *scenes.SHAPES}
    for forms in scenes.RELATIONS.values():
        for form in forms:
            words.update(form.split())
    return sorted(words)


class CaptionVocabulary(Vocabulary):
    """Word ids for captions: 0 is padding and unknown words, 1 the start token, 2 the end token.

    Args:
        words: list of str. The words, in id order from id 3.
    """

    config_keys = ("words",)

    def __init__(self, words):
        if not words or len(set(words)) != len(words) or any(not w or w.split() != [w] for w in words):
            raise ValueError(f"`words` must be distinct single words. Received: words={words!r}")
        self.words = list(words)
        self.tokens = [OOV_TOKEN, START_TOKEN, END_TOKEN, *self.words]
        self._ids = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def from_grammar(cls):
        return cls(grammar_words())

    def get_config(self):
        return {"words": self.words}

    @property
    def start_id(self):
        return 1

    @property
    def end_id(self):
        return 2

    def encode(self, caption):
        """The ids of a caption's words (unknown words are 0), without start or end."""
        return [self._ids.get(word, OOV_ID) for word in caption.split()]

    def encode_batch(self, captions, length):
        """`(decoder inputs, targets)` int32 `(batch, length)`: start + words, and words + end, padded with 0."""
        inputs = np.zeros((len(captions), length), dtype=np.int32)
        targets = np.zeros((len(captions), length), dtype=np.int32)
        for row, caption in enumerate(captions):
            ids = self.encode(caption)
            if len(ids) + 1 > length:
                raise ValueError(f"A caption of {len(ids)} words does not fit `length`={length} with its end token. "
                                 f"Received: caption={caption!r}")
            inputs[row, : len(ids) + 1] = [self.start_id, *ids]
            targets[row, : len(ids) + 1] = [*ids, self.end_id]
        return inputs, targets

    def decode_words(self, ids):
        """The words of a row of ids, up to the first end token (padding and start are skipped)."""
        words = []
        for i in np.asarray(ids).tolist():
            if i == self.end_id:
                break
            if i not in (OOV_ID, self.start_id):
                words.append(self.tokens[i])
        return words

    def decode(self, ids):
        return " ".join(self.decode_words(ids))
