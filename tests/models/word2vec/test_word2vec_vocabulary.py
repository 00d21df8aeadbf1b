"""word2vec's vocabulary: counts, order (as gensim's), JSON."""

import numpy as np
import pytest

from kerazoo.models.word2vec.word2vec_vocabulary import WordVocabulary


def test_vocabulary_applies_min_count_and_max_vocab_in_frequency_order():
    sentences = [["b", "a", "c", "a"], ["c", "b", "d"], ["a", "e", "e"]]
    vocab = WordVocabulary.from_sentences(sentences, min_count=2)
    # Ties (b, c, e have 2) go latest first appearance first, as gensim orders them.
    assert vocab.words == ["a", "e", "c", "b"] and vocab.counts.tolist() == [3, 2, 2, 2]
    assert WordVocabulary.from_sentences(sentences, min_count=1, max_vocab=2).words == ["a", "e"]
    ids, sentence_ids = vocab.encode(sentences)
    assert ids.tolist() == [3, 0, 2, 0, 2, 3, 0, 1, 1]  # "d" is dropped
    assert sentence_ids.tolist() == [0, 0, 0, 0, 1, 1, 2, 2, 2]


def test_vocabulary_order_matches_gensim(tmp_path):
    gensim = pytest.importorskip("gensim")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    sentences = [[words[j] for j in rng.zipf(1.5, size=8) % 40] for _ in range(300)]
    model = gensim.models.Word2Vec(sentences, min_count=3, vector_size=4, epochs=1, workers=1)
    assert WordVocabulary.from_sentences(sentences, min_count=3).words == model.wv.index_to_key


def test_vocabulary_round_trips_through_json(tmp_path):
    vocab = WordVocabulary.from_sentences([["x", "y", "x"]], min_count=1)
    vocab.save(tmp_path / "v.json")
    loaded = WordVocabulary.load(tmp_path / "v.json")
    assert loaded.words == vocab.words and loaded.counts.tolist() == vocab.counts.tolist()


@pytest.mark.parametrize(
    "sentences,kwargs,message",
    [
        ([], {}, "empty corpus"),
        ([["a", "b"], ["a"]], {"min_count": 5}, "`min_count`=5 removes every word"),
        ([["a"]], {"min_count": 0}, "Received: min_count=0"),
    ],
)
def test_bad_vocabulary_input_is_a_clear_error(sentences, kwargs, message):
    with pytest.raises(ValueError, match=message):
        WordVocabulary.from_sentences(sentences, **kwargs)
