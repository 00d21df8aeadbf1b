import collections

import numpy as np
import pytest

from kerazoo.data.shakespeare import load_plays
from kerazoo.data.words import WordVocabulary
from kerazoo.data.words import load_sentences
from kerazoo.data.words import shakespeare_sentences
from kerazoo.data.words import tokenize


def test_tokens_are_lowercase_letters_and_apostrophes():
    assert tokenize("O Romeo, Romeo! 'Tis  twenty-one; KING HENRY V.") == [
        "o", "romeo", "romeo", "'tis", "twenty", "one", "king", "henry", "v",
    ]


def test_plays_give_one_sentence_per_line_of_speech_without_speakers_or_directions():
    plays = load_plays()
    sentences = shakespeare_sentences()
    lines = [line for play in plays for speech in play.speeches for line in speech.lines]
    assert len(sentences) == sum(1 for line in lines if tokenize(line))
    assert sentences[0] == tokenize(plays[0].speeches[0].lines[0])
    counts = collections.Counter(word for sentence in sentences for word in sentence)
    # THESEUS speaks dozens of times but is named only a few times in speech; no
    # stage direction ("Exeunt") survives.
    theseus_speeches = sum(1 for s in plays[0].speeches if s.speaker == "THESEUS")
    assert theseus_speeches > 40 and counts["theseus"] < 10
    assert counts["exeunt"] == 0


def test_tiny_shakespeare_drops_speaker_lines_but_a_text_file_keeps_every_line(tmp_path, monkeypatch):
    path = tmp_path / "play.txt"
    path.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n")
    monkeypatch.setenv("KERAZOO_TINY_SHAKESPEARE", str(path))
    with pytest.warns(UserWarning, match="not the standard"):
        tiny = load_sentences("tiny_shakespeare")
    assert tiny == [tokenize("Before we proceed any further, hear me speak."), ["speak", "speak"]]
    assert load_sentences(str(path))[0] == ["first", "citizen"]


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


def test_a_file_without_words_is_a_clear_error(tmp_path):
    path = tmp_path / "numbers.txt"
    path.write_text("123 456\n--\n")
    with pytest.raises(ValueError, match="no words"):
        load_sentences(str(path))
