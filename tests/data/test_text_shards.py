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
