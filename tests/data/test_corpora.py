import pytest

from kerazoo.data import corpora
from kerazoo.data import shakespeare
from kerazoo.data.corpora import CorpusUnavailableError
from kerazoo.data.corpora import load_corpus
from kerazoo.data.corpora import split_text


def test_split_matches_tfds_tiny_shakespeare_sizes():
    train, validation, test = split_text("x" * 1_115_394)
    assert (len(train), len(validation), len(test)) == (1_003_854, 55_770, 55_770)


def test_local_file_splits_and_heldout(tmp_path):
    path = tmp_path / "text.txt"
    text = "".join(chr(ord("a") + i % 26) for i in range(1000))
    path.write_text(text, encoding="utf-8")
    corpus = load_corpus(str(path))
    assert corpus.train + corpus.validation + corpus.test == text
    assert corpus.heldout == text[900:]
    assert corpus.split("heldout") == corpus.heldout


def test_complete_plays_render_as_plain_speeches():
    plays = shakespeare.load_plays()
    assert len(plays) >= 37
    assert {play.genre for play in plays} == set(shakespeare.GENRES)
    text = shakespeare.complete_plays_text()
    # About 4.6-4.8 million characters, close to the lectures' 4,573,338.
    assert 4_400_000 < len(text) < 5_000_000
    for marker in ("**", "_", "#", "\\", "[", "\nExeunt\n"):
        assert marker not in text, marker
    macbeth = next(play for play in plays if play.slug == "macbeth").render()
    assert macbeth.startswith("First Witch:\nWhen shall we three meet again\nIn thunder, lightning, or in rain?\n\n")


def test_shakespeare_tfds_builder_works_offline(tmp_path):
    from kerazoo.data.tfds_shakespeare import shakespeare_builder

    via_tfds = load_corpus("shakespeare", data_dir=str(tmp_path), use_tfds=True)
    direct = load_corpus("shakespeare", use_tfds=False)
    assert via_tfds == direct
    plays = shakespeare_builder("plays", data_dir=str(tmp_path))
    plays.download_and_prepare()
    assert plays.info.splits["train"].num_examples == len(shakespeare.load_plays())
    assert plays.info.features["genre"].names == list(shakespeare.GENRES)


def test_tiny_shakespeare_offline_says_how_to_use_a_local_copy(tmp_path, monkeypatch):
    monkeypatch.delenv(corpora.TINY_SHAKESPEARE_ENV, raising=False)
    monkeypatch.setattr(corpora, "_host_reachable", lambda *args, **kwargs: False)
    with pytest.raises(CorpusUnavailableError) as error:
        load_corpus("tiny_shakespeare", data_dir=str(tmp_path))
    assert corpora.TINY_SHAKESPEARE_ENV in str(error.value)
    assert "--corpus /path/to/input.txt" in str(error.value)


def test_tiny_shakespeare_from_a_local_copy(tmp_path, monkeypatch):
    path = tmp_path / "input.txt"
    path.write_text("ab" * 500, encoding="utf-8")
    monkeypatch.setenv(corpora.TINY_SHAKESPEARE_ENV, str(path))
    with pytest.warns(UserWarning, match="not the standard tiny_shakespeare file"):
        corpus = load_corpus("tiny_shakespeare")
    assert (len(corpus.train), len(corpus.validation), len(corpus.test)) == (900, 50, 50)


def test_unknown_corpus_names_the_argument():
    with pytest.raises(FileNotFoundError, match="corpus='no_such_corpus'"):
        load_corpus("no_such_corpus")
