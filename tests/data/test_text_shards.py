"""Text corpora on disk as shards: naming them, and sharing them among workers."""

import pytest

from kerazoo.data.text_shards import resolve_shards
from kerazoo.data.text_shards import worker_shards


def test_a_file_a_folder_and_a_glob_name_the_same_sorted_shards(tmp_path):
    paths = []
    (tmp_path / "shards").mkdir()
    for k in range(3):
        (tmp_path / "shards" / f"part-{k:03d}.txt").write_text("the king\n", encoding="utf-8")
        paths.append(str(tmp_path / "shards" / f"part-{k:03d}.txt"))
    assert resolve_shards(tmp_path / "shards") == paths
    assert resolve_shards(str(tmp_path / "shards" / "part-*.txt")) == paths
    assert resolve_shards(paths[1]) == [paths[1]]


@pytest.mark.parametrize(
    "corpus,message",
    [
        ("{tmp}/nothing-*.txt", "glob that matches no files. Received: corpus='{tmp}/nothing-\\*.txt'"),
        ("{tmp}/missing.txt", "no such file or folder. Received: corpus='{tmp}/missing.txt'"),
        ("{tmp}/empty_folder", "folder that holds no files. Received: corpus='{tmp}/empty_folder'"),
    ],
)
def test_bad_shard_names_are_clear_errors_naming_the_argument(tmp_path, corpus, message):
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(ValueError, match=message.format(tmp=tmp_path)):
        resolve_shards(corpus.format(tmp=tmp_path))


def test_shard_i_goes_to_worker_i_mod_n():
    shards = [f"s{i}" for i in range(7)]
    assigned = [worker_shards(shards, w, 3) for w in range(3)]
    assert assigned == [["s0", "s3", "s6"], ["s1", "s4"], ["s2", "s5"]]
    for w, mine in enumerate(assigned):
        assert all(int(s[1:]) % 3 == w for s in mine)
    assert sorted(sum(assigned, [])) == sorted(shards)  # each shard read by exactly one worker
    with pytest.raises(ValueError, match="Received: worker_index=3"):
        worker_shards(shards, 3, 3)
    with pytest.raises(ValueError, match="corpus has 2 shard"):
        worker_shards(shards[:2], 0, 3)


# --- The counting pass's encoding of each shard, and its freshness ---------------------------

import os  # noqa: E402

import numpy as np  # noqa: E402

from kerazoo.data import text_shards  # noqa: E402
from kerazoo.data.text_shards import EncodedShard  # noqa: E402
from kerazoo.data.text_shards import count_words  # noqa: E402


def _shards(folder, texts):
    folder.mkdir(exist_ok=True)
    paths = []
    for k, text in enumerate(texts):
        path = folder / f"part-{k}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def _age(path, seconds=3600):
    """Moves a file's mtime into the past, as a corpus written long before its encoding."""
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9))


def test_the_counting_pass_encodes_each_shard_and_counts_as_without_a_cache(tmp_path):
    paths = _shards(tmp_path / "corpus", ["The king, the queen\n\nthe KING\n", "o'er the rose\nrose\n"])
    cache = str(tmp_path / "cache")
    plain, encoded = count_words(paths), count_words(paths, cache_dir=cache)
    assert list(encoded.counter.items()) == list(plain.counter.items())  # same counts, same first-appearance order
    assert (encoded.shard_tokens, encoded.sentences) == (plain.shard_tokens, plain.sentences) == ([6, 4], 4)
    assert plain.encoded is None and len(encoded.encoded) == 2
    first = encoded.encoded[0]
    ids, lengths = first.ids()
    assert isinstance(ids, np.memmap)  # read in place, never loaded whole
    assert first.vocabulary()[0] == ["the", "king", "queen"]
    assert ids.tolist() == [0, 1, 0, 2, 0, 1] and lengths.tolist() == [4, 2]
    assert sorted(os.listdir(cache)) == sorted(
        name for shard in encoded.encoded
        for name in (shard.key + ".json", *(os.path.basename(p) for p in (shard.ids_path, shard.lines_path,
                                                                           shard.words_path))))


def test_an_unchanged_corpus_is_counted_again_without_reading_its_text(tmp_path, monkeypatch):
    paths = _shards(tmp_path / "corpus", ["the king the queen\n", "the rose\n"])
    for path in paths:
        _age(path)
    cache = str(tmp_path / "cache")
    first = count_words(paths, cache_dir=cache)
    monkeypatch.setattr(text_shards, "read_shard", lambda *a: pytest.fail("the text was read"))
    again = count_words(paths, cache_dir=cache)
    assert again.counter == first.counter and again.encoded == first.encoded


def test_a_changed_source_is_noticed_and_encoded_again(tmp_path):
    paths = _shards(tmp_path / "corpus", ["the king the queen\n", "the rose\n"])
    for path in paths:
        _age(path)
    cache = str(tmp_path / "cache")
    before = count_words(paths, cache_dir=cache)
    # A new size: the stat alone tells.
    with open(paths[1], "a", encoding="utf-8") as f:
        f.write("a thorn\n")
    after = count_words(paths, cache_dir=cache)
    assert after.encoded[0] == before.encoded[0]  # the unchanged shard keeps its encoding
    assert after.encoded[1].content_hash != before.encoded[1].content_hash
    assert after.counter["thorn"] == 1 and after.encoded[1].ids()[1].tolist() == [2, 2]
    assert not os.path.exists(before.encoded[1].ids_path)  # the stale files are gone


def _rewrite_keeping_size_and_mtime(path, text):
    """Writes `text` (as long as the old text) over `path` and puts its old mtime back; returns the old stat."""
    stat = os.stat(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return stat


def test_an_edit_with_the_same_size_and_mtime_is_caught_by_the_content_hash(tmp_path):
    # Written and encoded within the same clock tick, then edited keeping its size and its mtime:
    # no stat can tell, so a source this close to its encoding is hashed.
    (path,) = _shards(tmp_path / "corpus", ["the king\n"])
    cache = str(tmp_path / "cache")
    before = count_words([path], cache_dir=cache)
    stat = _rewrite_keeping_size_and_mtime(path, "the kong\n")
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert not before.encoded[0].is_fresh()
    after = count_words([path], cache_dir=cache)
    assert list(after.counter) == ["the", "kong"]


def test_a_damaged_cache_is_encoded_again(tmp_path):
    (path,) = _shards(tmp_path / "corpus", ["the king the queen\n"])
    _age(path)
    cache = str(tmp_path / "cache")
    shard = count_words([path], cache_dir=cache).encoded[0]
    with open(shard.ids_path, "r+b") as f:
        f.truncate(os.path.getsize(shard.ids_path) - 4)
    assert EncodedShard.find(cache, path) is None
    again = count_words([path], cache_dir=cache).encoded[0]
    assert again.ids()[0].tolist() == [0, 1, 0, 2]


def test_an_edit_that_keeps_the_size_and_puts_the_old_mtime_back_is_caught_by_the_edge_hash(tmp_path):
    # As `cp -p` of another file of the same size, long after the encoding: the stat matches.
    (path,) = _shards(tmp_path / "corpus", ["the king the queen\nthe rose\n"])
    _age(path)
    cache = str(tmp_path / "cache")
    before = count_words([path], cache_dir=cache)
    _rewrite_keeping_size_and_mtime(path, "the kong the queen\nthe rose\n")
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (before.encoded[0].source_size,
                                                                   before.encoded[0].source_mtime_ns)
    assert EncodedShard.find(cache, path) is None
    after = count_words([path], cache_dir=cache)
    words, _ = after.encoded[0].vocabulary()
    assert [words[i] for i in after.encoded[0].ids()[0]] == "the kong the queen the rose".split()


def test_an_encoding_made_with_another_tokeniser_is_not_used(tmp_path, monkeypatch):
    (path,) = _shards(tmp_path / "corpus", ["the king\n"])
    _age(path)
    cache = str(tmp_path / "cache")
    count_words([path], cache_dir=cache)
    assert EncodedShard.find(cache, path) is not None
    monkeypatch.setattr(text_shards, "TOKENIZER", {**text_shards.TOKENIZER, "lowercase": False})
    assert EncodedShard.find(cache, path) is None


def test_a_cache_dir_that_cannot_be_written_is_a_clear_error(tmp_path):
    (path,) = _shards(tmp_path / "corpus", ["the king\n"])
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ValueError, match=r"`cache_dir` cannot be written .*Received: cache_dir=.*a-file/cache"):
        count_words([path], cache_dir=str(blocked / "cache"))


def test_a_new_mtime_alone_is_noticed(tmp_path):
    (path,) = _shards(tmp_path / "corpus", ["the king\n"])
    _age(path)
    cache = str(tmp_path / "cache")
    count_words([path], cache_dir=cache)
    assert EncodedShard.find(cache, path) is not None
    _age(path, seconds=60)  # `touch`: same bytes, another mtime
    assert EncodedShard.find(cache, path) is None
