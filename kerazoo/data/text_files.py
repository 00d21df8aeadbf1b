"""Local text: reading a UTF-8 file with a clear error, and the 90/5/5 character split every corpus uses."""

import os


def read_text_file(path, argument="corpus"):
    """The text of the UTF-8 file at `path`.

    Raises:
        FileNotFoundError: naming `argument` when there is no such file.
        ValueError: naming the file when it is not UTF-8 text.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"`{argument}` must name a text file. Received: {argument}={path!r}")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path!r} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset {error.start}); "
            f"`{argument}` must be a UTF-8 text file. Received: {argument}={path!r}"
        ) from None


def split_text(text):
    """Splits `text` 90/5/5 by characters, as tfds splits tiny_shakespeare."""
    i = int(len(text) * 0.9)
    train, rest = text[:i], text[i:]
    j = int(len(rest) * 0.5)
    return train, rest[:j], rest[j:]
