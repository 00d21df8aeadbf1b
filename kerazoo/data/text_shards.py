"""Text corpora on disk as shards: a file, a folder of files, or a glob, read one shard at a time.

A corpus of any size is a list of shards, UTF-8 text files read in sorted
order, one sentence per `\\n`-terminated line. Nothing here holds more than
one shard's text: the counting pass (`count_words`, gensim's `build_vocab`)
reads each shard once and keeps only the word counts, and the skip-gram
stream (word2vec's `SkipGramStream`) reads them again every epoch.

With several workers, worker i of N reads the shards i, i + N, i + 2N, ...
(`worker_shards`), so every shard is read by exactly one worker.
"""

import collections
import dataclasses
import glob
import os
import re

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


def shard_sentences(text):
    """A shard's lines as token lists, one per `\\n`-terminated line (empty lines give empty lists)."""
    return [TOKEN_PATTERN.findall(line) for line in text.lower().split("\n")]


def count_words(shards, argument="corpus"):
    """One counting pass over `shards`, as gensim's `build_vocab`: a `ShardCounts`.

    Only the counter and a few numbers are kept; each shard's text is dropped
    before the next is read.
    """
    counter = collections.Counter()
    shard_tokens, sentences, any_text = [], 0, False
    for path in shards:
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
    return ShardCounts(counter, shard_tokens, sentences)
