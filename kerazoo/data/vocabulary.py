"""Character vocabulary, built once from the training text and saved with the model."""

import json
import os

import numpy as np

OOV_TOKEN = "[UNK]"
OOV_ID = 0


class CharVocabulary:
    """Maps characters to integer ids and back.

    Id 0 is the out-of-vocabulary token, so any character the model never saw
    in training still has an id. The remaining ids follow the sorted order of
    the characters, as char-rnn and nanoGPT number them.

    Args:
        characters: iterable of str. The distinct characters, without the
            out-of-vocabulary token; they are sorted and deduplicated.

    Example:

    >>> vocab = CharVocabulary.from_text("hello")
    >>> vocab.encode("hex")
    array([2, 1, 0], dtype=int32)
    >>> vocab.decode([2, 1, 3, 3, 4])
    'hello'
    """

    def __init__(self, characters):
        characters = sorted(set(characters))
        for char in characters:
            if not isinstance(char, str) or len(char) != 1:
                raise ValueError(
                    "`characters` must hold single characters. "
                    f"Received: {char!r}"
                )
        self.characters = characters
        self.tokens = [OOV_TOKEN] + characters
        self._index = {char: i + 1 for i, char in enumerate(characters)}

    # How an exported graph splits a prompt into this vocabulary's units: None means one unit per
    # character; a word vocabulary gives (spaces, characters that stand alone) as RE2 patterns
    # (see `kerazoo.signatures.shared.prompt_units`).
    split_patterns = None

    @property
    def token_texts(self):
        """The text each id decodes to, id 0 included (''): what an exported graph joins."""
        return [""] + self.characters

    @classmethod
    def from_text(cls, text):
        if not text:
            raise ValueError("Cannot build a vocabulary from an empty text.")
        return cls(set(text))

    @property
    def size(self):
        """The number of ids, the out-of-vocabulary id included."""
        return len(self.tokens)

    def __len__(self):
        return self.size

    def encode(self, text):
        """Returns the ids of `text` as an int32 array; unknown characters map to 0."""
        index = self._index
        return np.fromiter(
            (index.get(char, OOV_ID) for char in text), dtype=np.int32, count=len(text)
        )

    def decode(self, ids):
        """Returns the text for `ids`; the out-of-vocabulary id decodes to ''."""
        tokens = self.tokens
        out = []
        for i in np.asarray(ids).reshape(-1).tolist():
            if not 0 <= i < len(tokens):
                raise ValueError(
                    f"`ids` must be in [0, {len(tokens)}). Received: id={i}"
                )
            if i != OOV_ID:
                out.append(tokens[i])
        return "".join(out)

    def get_config(self):
        return {"characters": self.characters}

    def save(self, path):
        """Writes the vocabulary as JSON to `path`."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"oov_token": OOV_TOKEN, **self.get_config()}, f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        if os.path.isdir(path):
            path = os.path.join(path, "vocabulary.json")
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
        return cls(config["characters"])

    def __eq__(self, other):
        return isinstance(other, CharVocabulary) and self.tokens == other.tokens

    def __repr__(self):
        return f"CharVocabulary(size={self.size})"
