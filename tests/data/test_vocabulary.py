import numpy as np
import pytest

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.data.vocabulary import CharVocabulary


def test_round_trip_and_sorted_ids():
    vocab = CharVocabulary.from_text("hello world\n")
    assert vocab.tokens[0] == "[UNK]"
    assert vocab.characters == sorted(set("hello world\n"))
    ids = vocab.encode("hello world\n")
    assert ids.dtype == np.int32
    assert vocab.decode(ids) == "hello world\n"


def test_unknown_characters_map_to_the_out_of_vocabulary_id():
    vocab = CharVocabulary.from_text("abc")
    assert vocab.encode("aZc").tolist() == [1, OOV_ID, 3]
    assert vocab.decode([1, OOV_ID, 3]) == "ac"


def test_save_and_load(tmp_path):
    vocab = CharVocabulary.from_text("To be, or not to be:\n")
    vocab.save(tmp_path / "vocabulary.json")
    assert CharVocabulary.load(str(tmp_path)) == vocab


def test_bad_ids_and_text():
    vocab = CharVocabulary.from_text("ab")
    with pytest.raises(ValueError, match="id=7"):
        vocab.decode([7])
    with pytest.raises(ValueError, match="empty"):
        CharVocabulary.from_text("")
