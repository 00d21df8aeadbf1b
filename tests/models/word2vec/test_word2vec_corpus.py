"""word2vec's corpora as sentences of lowercase tokens."""

import collections

import pytest

from kerazoo.data.shakespeare import load_plays
from kerazoo.data.words import tokenize
from kerazoo.models.word2vec.word2vec_corpus import load_sentences
from kerazoo.models.word2vec.word2vec_corpus import shakespeare_sentences


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


def test_a_file_without_words_is_a_clear_error(tmp_path):
    path = tmp_path / "numbers.txt"
    path.write_text("123 456\n--\n")
    with pytest.raises(ValueError, match="no words"):
        load_sentences(str(path))
