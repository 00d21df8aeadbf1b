import numpy as np
import pytest

from kerazoo.data.genre import genre_lines
from kerazoo.data.genre import stratified_split
from kerazoo.data.shakespeare import GENRES
from kerazoo.data.shakespeare import load_plays
from kerazoo.data.words import tokenize_with_punctuation as tokenize
from kerazoo.models.word2vec.keyed_vectors import read_word_vectors


def test_stratified_split_keeps_each_labels_share_and_partitions_the_lines():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    train, test = stratified_split(labels, test_fraction=0.2, seed=3)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    assert np.bincount(labels[test]).tolist() == [10, 6, 4]
    again, _ = stratified_split(labels, test_fraction=0.2, seed=3)
    np.testing.assert_array_equal(train, again)
    with pytest.raises(ValueError, match="test_fraction=1.0"):
        stratified_split(labels, test_fraction=1.0)


def test_genre_lines_are_the_speech_lines_with_their_plays_genre():
    plays = load_plays()
    lines = genre_lines(plays[:2] + plays[-1:])
    first = plays[0].speeches[0].lines[0]
    assert lines.tokens[0] == tokenize(first)
    assert lines.labels[0] == GENRES.index(plays[0].genre)
    assert lines.labels[-1] == GENRES.index(plays[-1].genre) and lines.plays[-1] == plays[-1].slug
    # Speaker names are not lines: no line is a bare "NAME:" heading.
    assert not any(t[-1] == ":" and len(t) == 2 and t[0].isupper() for t in lines.tokens[:500])


def test_read_word_vectors_fills_known_words_lowercase_included_and_leaves_zeros(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("2 3\nking 1 2 3\nqueen 4 5 6\n", encoding="utf-8")
    matrix, found = read_word_vectors(str(path), ["<pad>", "queen", "King", "knave"])
    assert found == 2
    np.testing.assert_array_equal(matrix, [[0, 0, 0], [4, 5, 6], [1, 2, 3], [0, 0, 0]])
    with pytest.raises(FileNotFoundError, match="word_vectors="):
        read_word_vectors(str(tmp_path / "missing.bin"), ["a"])
