import os

import numpy as np
import pytest

from kerazoo.models.word2vec import KeyedVectors
from kerazoo.models.word2vec.keyed_vectors import spearman_correlation


def _gensim_data(name):
    gensim = pytest.importorskip("gensim")
    return os.path.join(os.path.dirname(gensim.__file__), "test", "test_data", name)


def _random_vectors(words, dim=12, seed=0):
    return KeyedVectors(words, np.random.default_rng(seed).normal(size=(len(words), dim)).astype("float32"))


def _as_gensim(vectors):
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors(vectors.vector_size)
    kv.add_vectors(vectors.index_to_key, vectors.vectors)
    return kv


WORDS = ["king", "queen", "man", "woman", "lord", "lady", "he", "she", "his", "her", "sword", "crown"]


def test_similarity_and_most_similar_are_cosines_of_the_mean_direction():
    vectors = _random_vectors(WORDS)
    unit = vectors.vectors / np.linalg.norm(vectors.vectors, axis=1, keepdims=True)
    assert vectors.similarity("king", "queen") == pytest.approx(float(unit[0] @ unit[1]), abs=1e-6)
    query = unit[0] + unit[3] - unit[2]
    query /= np.linalg.norm(query)
    scores = unit @ query
    scores[[0, 2, 3]] = -np.inf
    best = np.argsort(-scores)[:3]
    result = vectors.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert [w for w, _ in result] == [WORDS[i] for i in best]
    np.testing.assert_allclose([s for _, s in result], scores[best], atol=1e-6)
    assert vectors.analogy("man", "king", "woman", topn=3) == result
    assert [w for w, _ in vectors.most_similar("king", topn=20)] == [
        WORDS[i] for i in np.argsort(-(unit @ unit[0]))[1:]
    ]


def test_queries_match_gensim():
    vectors = _random_vectors(WORDS, seed=3)
    reference = _as_gensim(vectors)
    for positive, negative in ((["king"], []), (["king", "woman"], ["man"]), (["her", "lord"], ["his"])):
        ours = vectors.most_similar(positive=positive, negative=negative, topn=5)
        theirs = reference.most_similar(positive=positive, negative=negative, topn=5)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
        if positive:
            ours = vectors.analogy(negative[0], positive[0], positive[1], topn=4, method="3cosmul") if negative else None
            if ours is not None:
                theirs = reference.most_similar_cosmul(positive=positive, negative=negative, topn=4)
                assert [w for w, _ in ours] == [w for w, _ in theirs]
                np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4)
    for group in (["king", "queen", "lord", "sword"], ["he", "she", "his", "crown", "her"]):
        assert vectors.doesnt_match(group) == reference.doesnt_match(group)
    assert vectors.similarity("he", "she") == pytest.approx(float(reference.similarity("he", "she")), abs=1e-6)


def test_3cosmul_is_levy_and_goldberg_formula():
    vectors = _random_vectors(WORDS, seed=5)
    unit = vectors.vectors / np.linalg.norm(vectors.vectors, axis=1, keepdims=True)
    shifted = (1 + unit @ unit[[0, 3, 2]].T) / 2  # king, woman (positive); man (negative)
    scores = shifted[:, 0] * shifted[:, 1] / (shifted[:, 2] + 1e-6)
    scores[[0, 2, 3]] = -np.inf
    assert vectors.analogy("man", "king", "woman", method="3cosmul")[0][0] == WORDS[int(np.argmax(scores))]


def test_evaluate_word_analogies_matches_gensim_on_its_questions_words_file():
    path = _gensim_data("questions-words.txt")
    with open(path) as f:
        lines = [line.split() for line in f if not line.startswith(":")]
    # The family and plural sections' words, plus a few that are never asked about.
    words = sorted({w.lower() for line in lines[8366:8872] + lines[17340:17500] for w in line}) + ["zzz", "yyy"]
    vectors = _random_vectors(words, dim=6, seed=1)
    # Nudge a few answers so that some questions are answered right.
    rng = np.random.default_rng(2)
    for a, b, c, d in lines[8366:8400]:
        a, b, c, d = (vectors.key_to_index[w.lower()] for w in (a, b, c, d))
        vectors.vectors[d] = vectors.vectors[b] - vectors.vectors[a] + vectors.vectors[c] + rng.normal(0, 0.2, 6)
    vectors = KeyedVectors(vectors.index_to_key, vectors.vectors)
    score, sections = vectors.evaluate_word_analogies(path)
    theirs_score, theirs_sections = _as_gensim(vectors).evaluate_word_analogies(path)
    assert score == pytest.approx(theirs_score) and 0 < score < 1
    ours = {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in sections}
    theirs = {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in theirs_sections}
    assert {k: v for k, v in ours.items() if sum(v)} == {k: v for k, v in theirs.items() if sum(v)}
    cosmul_score, _ = vectors.evaluate_word_analogies(path, method="3cosmul")
    assert 0 < cosmul_score < 1


def test_evaluate_word_pairs_matches_gensim_on_wordsim353():
    path = _gensim_data("wordsim353.tsv")
    with open(path) as f:
        pairs = [line.split("\t")[:2] for line in f if not line.startswith("#")]
    words = sorted({w.lower() for pair in pairs[:200] for w in pair})
    vectors = _random_vectors(words, dim=8, seed=4)
    pearson, spearman, oov = vectors.evaluate_word_pairs(path)
    theirs = _as_gensim(vectors).evaluate_word_pairs(path)
    assert pearson == pytest.approx(theirs[0][0], abs=1e-6)
    assert spearman == pytest.approx(theirs[1][0], abs=1e-6)
    assert oov == pytest.approx(theirs[2]) and 0 < oov < 100


def test_spearman_gives_ties_their_average_rank():
    assert spearman_correlation([1, 2, 2, 3], [10, 20, 20, 30]) == pytest.approx(1.0)
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 5, 200), rng.normal(size=200)
    assert spearman_correlation(x, y) == pytest.approx(scipy_stats.spearmanr(x, y)[0], abs=1e-12)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_word2vec_files_with_identical_vectors(tmp_path, binary):
    gensim = pytest.importorskip("gensim")
    vectors = _random_vectors(WORDS + ["o'er", "naïve"], dim=7, seed=6)
    path = str(tmp_path / ("vectors.bin" if binary else "vectors.txt"))
    vectors.save_word2vec_format(path, binary=binary)
    theirs = gensim.models.KeyedVectors.load_word2vec_format(path, binary=binary)
    assert theirs.index_to_key == vectors.index_to_key
    np.testing.assert_array_equal(theirs.vectors, vectors.vectors)
    # And we read gensim's own files back.
    gensim_path = str(tmp_path / "gensim_vectors")
    theirs.save_word2vec_format(gensim_path, binary=binary)
    ours = KeyedVectors.load_word2vec_format(gensim_path, binary=binary)
    assert ours.index_to_key == vectors.index_to_key
    np.testing.assert_array_equal(ours.vectors, vectors.vectors)


def test_unknown_words_and_bad_arguments_are_clear_errors(tmp_path):
    vectors = _random_vectors(WORDS)
    with pytest.raises(KeyError, match="'kingg' is not in the vocabulary"):
        vectors.most_similar("kingg")
    with pytest.raises(KeyError, match="'knave' is not in the vocabulary"):
        vectors.analogy("man", "king", "knave")
    with pytest.raises(KeyError, match="'x' is not in the vocabulary"):
        vectors.doesnt_match(["king", "x"])
    with pytest.raises(ValueError, match="Received: topn=0"):
        vectors.most_similar("king", topn=0)
    with pytest.raises(ValueError, match="Received: method='3cosdiv'"):
        vectors.analogy("man", "king", "woman", method="3cosdiv")
    with pytest.raises(ValueError, match="at least one word"):
        vectors.most_similar()
    with pytest.raises(ValueError, match="cannot hold spaces"):
        KeyedVectors(["two words", "x"], np.ones((2, 3))).save_word2vec_format(str(tmp_path / "v.txt"))
