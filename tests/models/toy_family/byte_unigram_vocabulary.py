"""The toy family's own vocabulary type: every byte is a token (id = byte + 1; id 0 pads)."""

import json

import numpy as np


class ByteVocabulary:
    """A fixed vocabulary of the 256 byte values; it needs no corpus to build and saves as one JSON line."""

    size = 257

    def encode(self, text):
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype("int32") + 1

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"kind": "bytes", "size": self.size}, f)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        if saved.get("kind") != "bytes":
            raise ValueError(f"{path!r} is not a byte vocabulary. Received: {saved!r}")
        return cls()
