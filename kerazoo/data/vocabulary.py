"""The vocabulary base class, and the character vocabulary built once from the training text and saved with the model."""

import json
import os

import numpy as np

OOV_TOKEN = "[UNK]"
OOV_ID = 0


class Vocabulary:
    """The base of every kerazoo vocabulary: ids for units, saved as one JSON file.

    A subclass keeps its units in id order as `tokens` and returns its
    constructor arguments, JSON-ready, from `get_config()`. It may write
    constant fields before them (`json_header`, e.g. the out-of-vocabulary
    token); `load` reads back the `config_keys` only. From these it gets
    `size`, `len()`, equality, `save` and `load`, and `load` names the file
    in every error.

    The file is one JSON object, `{**json_header, **get_config()}`, written
    with non-ASCII characters as they are (`ensure_ascii=False`).

    Example:

    >>> class Letters(Vocabulary):
    ...     config_keys = ("letters",)
    ...     def __init__(self, letters):
    ...         self.tokens = list(letters)
    ...     def get_config(self):
    ...         return {"letters": self.tokens}
    >>> Letters("abc").size
    3
    """

    # The file a folder holds, for `load(folder)`.
    file_name = "vocabulary.json"
    # Constant fields written before the config (kept for the files already saved); not read back.
    json_header = {}
    # The keys of `get_config()`, the only ones `load` reads.
    config_keys = ()

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must define `get_config()`.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def size(self):
        """The number of ids."""
        return len(self.tokens)

    def __len__(self):
        return self.size

    def __eq__(self, other):
        return type(other) is type(self) and self.get_config() == other.get_config()

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"

    def save(self, path):
        """Writes the vocabulary as JSON to `path`."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump({**self.json_header, **self.get_config()}, f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        """Reads a vocabulary that `save` wrote, from its file or the folder that holds `vocabulary.json`.

        Raises:
            FileNotFoundError: when there is no such file.
            ValueError: naming the file, when it is not JSON or does not hold
                this class's vocabulary.
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, cls.file_name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} is missing: no {cls.__name__} file there.")
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except ValueError as error:  # a JSONDecodeError or a UnicodeDecodeError
            raise ValueError(f"{path} is not a JSON vocabulary file ({error}).") from None
        missing = [key for key in cls.config_keys if not isinstance(data, dict) or key not in data]
        if missing:
            raise ValueError(f"{path} is not a {cls.__name__} file: it lacks the key(s) {missing}.")
        try:
            return cls.from_config({key: data[key] for key in cls.config_keys})
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path} does not hold a valid {cls.__name__}: {error}") from None

    def lookup(self, units, oov_id):
        """int32 ids of `units` (a sequence) from `self._index`; units it lacks get `oov_id`."""
        index = self._index
        return np.fromiter((index.get(unit, oov_id) for unit in units), dtype=np.int32, count=len(units))

    def checked_ids(self, ids):
        """`ids` as a list of int, each checked to be an id of this vocabulary."""
        ids = np.asarray(ids).reshape(-1).tolist()
        for i in ids:
            if not 0 <= i < self.size:
                raise ValueError(f"`ids` must be in [0, {self.size}). Received: id={i}")
        return ids


class CharVocabulary(Vocabulary):
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

    json_header = {"oov_token": OOV_TOKEN}
    config_keys = ("characters",)

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
    # (see `kerazoo.models.causal_lm.causal_lm_export.prompt_units`).
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

    def encode(self, text):
        """Returns the ids of `text` as an int32 array; unknown characters map to 0."""
        return self.lookup(text, OOV_ID)

    def decode(self, ids):
        """Returns the text for `ids`; the out-of-vocabulary id decodes to ''."""
        tokens = self.tokens
        return "".join(tokens[i] for i in self.checked_ids(ids) if i != OOV_ID)

    def get_config(self):
        return {"characters": self.characters}
