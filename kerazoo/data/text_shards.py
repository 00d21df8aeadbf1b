"""Text corpora on disk as shards: a file, a folder of files, or a glob, read one shard at a time.

A corpus of any size is a list of shards, UTF-8 text files read in sorted
order, one sentence per `\\n`-terminated line. Nothing here holds more than
one shard's text: the counting pass (`count_words`, gensim's `build_vocab`)
reads each shard once and keeps only the word counts. Given a `cache_dir`, it
also writes each shard as integers once (`EncodedShard`: the shard's word ids
and line lengths as `.npy` files, its words and their counts, and a manifest
that names the source by size, mtime and content hash), so that training reads
ids every epoch, never text, and the next run's counting pass reads no text
at all while the sources are unchanged.

With several workers, worker i of N reads the shards i, i + N, i + 2N, ...
(`worker_shards`), so every shard is read by exactly one worker.
"""

import collections
import dataclasses
import glob
import hashlib
import json
import os
import re
import time

import numpy as np

from kerazoo.data.words import TOKEN_PATTERN

_LINE_WITH_A_TOKEN = re.compile(r"^[^\n]*?[a-z']", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class ShardCounts:
    """What the counting pass learned about a corpus of shards.

    Attributes:
        counter: `collections.Counter` of every token, in first-appearance order.
        shard_tokens: list of int. Tokens (`[a-z']+`) in each shard.
        sentences: int. Lines that hold at least one token.
    """

    counter: collections.Counter
    shard_tokens: list
    sentences: int
    encoded: tuple = None  # one `EncodedShard` per shard when counted with a `cache_dir`, else None

    @property
    def tokens(self):
        return sum(self.shard_tokens)


def resolve_shards(corpus, argument="corpus"):
    """The sorted shard files that `corpus` names: a file, a folder (its files, not recursive) or a glob.

    Raises:
        ValueError: naming `argument` when nothing matches, a folder holds no
            files, or a match is not a file.
    """
    if not isinstance(corpus, (str, os.PathLike)) or not str(corpus):
        raise ValueError(f"`{argument}` must be a file, a folder or a glob of text files. Received: {argument}={corpus!r}")
    corpus = str(corpus)
    if os.path.isfile(corpus):
        return [corpus]
    if os.path.isdir(corpus):
        files = sorted(os.path.join(corpus, name) for name in os.listdir(corpus) if not name.startswith("."))
        files = [path for path in files if os.path.isfile(path)]
        if not files:
            raise ValueError(f"`{argument}` names a folder that holds no files. Received: {argument}={corpus!r}")
        return files
    if glob.has_magic(corpus):
        files = sorted(path for path in glob.glob(corpus) if os.path.isfile(path))
        if not files:
            raise ValueError(f"`{argument}` is a glob that matches no files. Received: {argument}={corpus!r}")
        return files
    raise ValueError(
        f"`{argument}` must be a named corpus, a text file, a folder or a glob; no such file or folder. "
        f"Received: {argument}={corpus!r}"
    )


def worker_shards(shards, worker_index=0, num_workers=1):
    """The shards worker `worker_index` of `num_workers` reads: shard i goes to worker i mod N.

    Raises:
        ValueError: for a bad worker index or count, or a worker left without shards.
    """
    if not isinstance(num_workers, int) or num_workers < 1:
        raise ValueError(f"`num_workers` must be an integer >= 1. Received: num_workers={num_workers!r}")
    if not isinstance(worker_index, int) or not 0 <= worker_index < num_workers:
        raise ValueError(
            f"`worker_index` must be in [0, {num_workers}). Received: worker_index={worker_index!r}"
        )
    if len(shards) < num_workers:
        raise ValueError(
            f"Each of {num_workers} workers reads its own shards, but the corpus has {len(shards)} shard(s). "
            "Split it into at least as many files as workers."
        )
    return list(shards[worker_index::num_workers])


def read_shard(path, argument="corpus"):
    """The text of one shard, with a clear error for a file that is not UTF-8 (`read_text_file`'s)."""
    from kerazoo.data.text_files import read_text_file

    return read_text_file(path, argument)


def count_words(shards, argument="corpus", cache_dir=None):
    """One counting pass over `shards`, as gensim's `build_vocab`: a `ShardCounts`.

    Only the counter and a few numbers are kept; each shard's text is dropped
    before the next is read. With `cache_dir`, each shard is also encoded to
    integers (`encode_shard`), or its encoding is reused when its source is
    unchanged (`EncodedShard.is_fresh`): then its counts come from the cache
    and its text is not read.

    Args:
        shards: list of str. The shard files (`resolve_shards`).
        argument: str. The name errors give the corpus.
        cache_dir: str or None. Where the encoded shards live (`default_cache_dir()`
            is the usual choice); None encodes nothing.
    """
    counter = collections.Counter()
    shard_tokens, sentences, any_text, encoded = [], 0, False, []
    for path in shards:
        if cache_dir is not None:
            shard = EncodedShard.find(cache_dir, path, argument) or encode_shard(path, cache_dir, argument)
            encoded.append(shard)
            words, counts = shard.vocabulary()
            # `update` with a mapping adds new words in its order, the shard's first appearances.
            counter.update(dict(zip(words, counts.tolist())))
            shard_tokens.append(shard.tokens)
            sentences += shard.sentences
            any_text = any_text or shard.source_size > 0
            continue
        text = read_shard(path, argument).lower()
        any_text = any_text or bool(text)
        # One pass of the regular expression over the whole shard: the order of first
        # appearance, which breaks ties between equal counts, is the same as line by line.
        words = TOKEN_PATTERN.findall(text)
        counter.update(words)
        shard_tokens.append(len(words))
        sentences += len(_LINE_WITH_A_TOKEN.findall(text))
        del text, words
    if not any_text:
        raise ValueError(f"The corpus is empty. Received: {argument}={shards[0] if len(shards) == 1 else shards!r}")
    if not counter:
        raise ValueError(
            "The corpus holds no words (tokens matching [a-z']+). "
            f"Received: {argument}={shards[0] if len(shards) == 1 else shards!r}"
        )
    return ShardCounts(counter, shard_tokens, sentences, tuple(encoded) if cache_dir is not None else None)


# --- Shards encoded once as integers -------------------------------------------------------

# A token or a line end: one pass of the expression gives both the words and the lines.
_TOKEN_OR_LINE_END = re.compile(r"[a-z']+|\n")
CACHE_FORMAT = 1
# What decides a shard's ids besides its text: a change here invalidates every encoding made before it.
# (`min_count` and the vocabulary do not: a shard's ids are its own words', mapped at training time.)
TOKENIZER = {"pattern": _TOKEN_OR_LINE_END.pattern, "lowercase": True}
# Bytes hashed at each end of a source on every run (`EncodedShard.edge_hash`).
_EDGE_BYTES = 1 << 16
# A source whose mtime is this close to the moment its cache was written may have changed again within
# the same clock tick, unseen by its size and mtime (git's "racily clean" files): its content hash decides.
_RACY_NS = 2_000_000_000


def default_cache_dir():
    """`$KERAZOO_CACHE_DIR/text-shard-ids`, or `~/.cache/kerazoo/text-shard-ids`."""
    root = os.environ.get("KERAZOO_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "kerazoo")
    return os.path.join(root, "text-shard-ids")


def encode_text(text):
    """A shard's text as integers: `(words, counts, ids, lengths)`.

    `words` are its distinct `[a-z']+` tokens (lowercased) in order of first
    appearance, `counts` their counts, `ids` every token's index in `words`
    (int32, in text order) and `lengths` the tokens of each `\\n`-separated line
    that holds one (int32; lines without a token are not sentences).
    """
    index = collections.defaultdict()
    index.default_factory = index.__len__  # a new token gets the next id
    index["\n"]  # id 0 marks line ends
    codes = np.fromiter(map(index.__getitem__, _TOKEN_OR_LINE_END.findall(text.lower())), dtype=np.int32)
    line_end = codes == 0
    ids = codes[~line_end] - 1
    line_of_token = np.cumsum(line_end)[~line_end]
    starts = np.flatnonzero(np.diff(line_of_token, prepend=-1))
    lengths = np.diff(np.append(starts, len(ids))).astype(np.int32)
    words = list(index)[1:]
    return words, np.bincount(ids, minlength=len(words)).astype(np.int64), ids.astype(np.int32), lengths


def _content_hash(text):
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _edge_hash(path):
    """A hash of the first and last 64 KiB of a file: two small reads, whatever its size."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        digest.update(f.read(_EDGE_BYTES))
        size = f.seek(0, os.SEEK_END)
        if size > _EDGE_BYTES:
            f.seek(max(_EDGE_BYTES, size - _EDGE_BYTES))
            digest.update(f.read())
    return digest.hexdigest()


def _cache_key(path):
    return hashlib.blake2b(os.path.realpath(path).encode("utf-8"), digest_size=10).hexdigest()


def _write_atomic(path, write):
    temporary = f"{path}.{os.getpid()}.tmp"
    write(temporary)
    os.replace(temporary, path)


def _save_npy(path, array):
    def write(temporary):
        with open(temporary, "wb") as f:
            np.save(f, np.ascontiguousarray(array, dtype="<i4"))

    _write_atomic(path, write)
    offset = os.path.getsize(path) - array.size * 4
    assert offset % 4 == 0, offset  # the data starts on an int32 boundary (npy pads its header to 64)
    return offset


@dataclasses.dataclass(frozen=True)
class EncodedShard:
    """One text shard written as integers, and what its manifest records.

    Files, in `cache_dir`, named from the source's real path (`key`) and its
    content hash: `KEY.json` (this manifest), `KEY-HASH.ids.npy` (every
    token's id among the shard's own words, int32), `KEY-HASH.lines.npy` (the
    tokens of each line that holds one, int32) and `KEY-HASH.words.tsv` (the
    shard's words in id order, with their counts). A shard's ids are its own:
    they do not depend on the other shards, on `min_count` or on the
    vocabulary, so one encoding serves every run over that text.

    The manifest also records the tokeniser the ids were made with
    (`TOKENIZER`: the pattern and the lowercasing); an encoding made with
    another is not used.

    The source counts as unchanged while its size and mtime (nanoseconds)
    equal those recorded and a hash of its first and last 64 KiB
    (`edge_hash`, two small reads per shard and run) is the one recorded: an
    edit that keeps the size and puts the old mtime back (`touch -r`, a copy
    with `cp -p`, a restore from an archive) is still caught when it touches
    either end. A stat cannot tell an edit made within the same clock tick as
    the encoding, so for a source whose mtime is within 2 s of the encoding
    (git's "racily clean" rule) the whole content hash is compared too.
    Hashing every source whole on every run would be safer still, but would
    read the whole corpus each run: the cost the cache exists to remove.
    """

    cache_dir: str
    source: str
    key: str
    content_hash: str
    source_size: int
    source_mtime_ns: int
    edge_hash: str
    encoded_ns: int
    tokens: int
    sentences: int
    words: int
    ids_offset: int
    lines_offset: int

    @property
    def stem(self):
        return os.path.join(self.cache_dir, f"{self.key}-{self.content_hash}")

    @property
    def ids_path(self):
        return self.stem + ".ids.npy"

    @property
    def lines_path(self):
        return self.stem + ".lines.npy"

    @property
    def words_path(self):
        return self.stem + ".words.tsv"

    @classmethod
    def find(cls, cache_dir, source, argument="corpus"):
        """The cached encoding of `source` when one exists and is fresh, else None."""
        try:
            with open(os.path.join(cache_dir, _cache_key(source) + ".json"), encoding="utf-8") as f:
                manifest = json.load(f)
            if manifest.pop("format") != CACHE_FORMAT or manifest.pop("tokenizer") != TOKENIZER:
                return None
            shard = cls(cache_dir=cache_dir, **manifest)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return shard if shard.source == os.path.realpath(source) and shard.is_fresh(argument) else None

    def is_fresh(self, argument="corpus"):
        """Whether the source is unchanged since it was encoded, and the cache files are whole."""
        try:
            stat = os.stat(self.source)
            sizes = [os.path.getsize(p) for p in (self.ids_path, self.lines_path, self.words_path)]
        except OSError:
            return False
        if (stat.st_size, stat.st_mtime_ns) != (self.source_size, self.source_mtime_ns):
            return False
        if sizes[0] != self.ids_offset + 4 * self.tokens or sizes[1] != self.lines_offset + 4 * self.sentences:
            return False
        try:
            if _edge_hash(self.source) != self.edge_hash:
                return False
        except OSError:
            return False
        if stat.st_mtime_ns >= self.encoded_ns - _RACY_NS:
            return _content_hash(read_shard(self.source, argument)) == self.content_hash
        return True

    def vocabulary(self):
        """`(words, counts)`: the shard's distinct words in id order and their counts."""
        with open(self.words_path, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
        return [word for word, _ in rows], np.array([int(count) for _, count in rows], dtype=np.int64)

    def ids(self):
        """`(ids, lengths)`, memory-mapped: every token's shard-local id, and each sentence's tokens."""
        return np.load(self.ids_path, mmap_mode="r"), np.load(self.lines_path, mmap_mode="r")


def encode_shard(path, cache_dir, argument="corpus"):
    """Reads, encodes and writes one shard into `cache_dir` (`EncodedShard`); returns its `EncodedShard`."""
    source = os.path.realpath(path)
    stat = os.stat(source)
    text = read_shard(path, argument)
    words, counts, ids, lengths = encode_text(text)
    shard = dict(source=source, key=_cache_key(path), content_hash=_content_hash(text), source_size=stat.st_size,
                 source_mtime_ns=stat.st_mtime_ns, edge_hash=_edge_hash(source), tokens=int(len(ids)),
                 sentences=int(len(lengths)), words=len(words))
    del text
    try:
        return _write_encoding(shard, cache_dir, words, counts, ids, lengths)
    except OSError as error:
        raise ValueError(
            f"`cache_dir` cannot be written ({error.strerror or error}), so the corpus's shards cannot be "
            "encoded there. Choose another folder (`--cache-dir`, or the KERAZOO_CACHE_DIR environment "
            f"variable). Received: cache_dir={cache_dir!r}"
        ) from error


def _write_encoding(shard, cache_dir, words, counts, ids, lengths):
    os.makedirs(cache_dir, exist_ok=True)
    stem = os.path.join(cache_dir, f"{shard['key']}-{shard['content_hash']}")

    def write_words(temporary):
        with open(temporary, "w", encoding="utf-8") as f:
            f.writelines(f"{word}\t{count}\n" for word, count in zip(words, counts.tolist()))

    _write_atomic(stem + ".words.tsv", write_words)
    shard["ids_offset"] = _save_npy(stem + ".ids.npy", ids)
    shard["lines_offset"] = _save_npy(stem + ".lines.npy", lengths)
    # The manifest goes last: it names only whole files.
    shard["encoded_ns"] = time.time_ns()

    def write_manifest(temporary):
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump({"format": CACHE_FORMAT, "tokenizer": TOKENIZER, **shard}, f)

    _write_atomic(os.path.join(cache_dir, shard["key"] + ".json"), write_manifest)
    # Earlier encodings of this source (other content hashes) are stale: remove them.
    for old in glob.glob(os.path.join(glob.escape(cache_dir), glob.escape(shard["key"]) + "-*")):
        if not old.startswith(stem + "."):
            try:
                os.remove(old)
            except OSError:
                pass
    return EncodedShard(cache_dir=cache_dir, **shard)
