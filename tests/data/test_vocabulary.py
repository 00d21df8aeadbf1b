"""The vocabulary base class, and the character vocabulary."""

import json
import os

import numpy as np
import pytest

import kerazoo
from kerazoo.data.vocabulary import OOV_ID
from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.data.vocabulary import Vocabulary


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


PRESETS = os.path.join(os.path.dirname(kerazoo.__file__), "presets")


def _preset_vocabularies():
    for name in sorted(os.listdir(PRESETS)):
        path = os.path.join(PRESETS, name, "vocabulary.json")
        if os.path.isfile(path):
            with open(os.path.join(PRESETS, name, "metadata.json"), encoding="utf-8") as f:
                yield name, json.load(f)["vocabulary"]["class"], path


def _vocabulary_class(name):
    from kerazoo.data.seq2seq import PairVocabulary
    from kerazoo.models.elmo.elmo_vocabulary import BilmVocabulary
    from kerazoo.models.ngram.ngram_vocabulary import TokenVocabulary
    from kerazoo.models.word2vec.word2vec_vocabulary import WordVocabulary

    from kerazoo.models.registry import FAMILIES

    classes = (CharVocabulary, PairVocabulary, WordVocabulary, BilmVocabulary, TokenVocabulary,
               *(family.vocabulary_class for family in FAMILIES if family.vocabulary_class))
    return {cls.__name__: cls for cls in classes}[name]


@pytest.mark.parametrize("name,class_name,path", list(_preset_vocabularies()))
def test_every_shipped_preset_vocabulary_loads_and_saves_back_byte_for_byte(tmp_path, name, class_name, path):
    cls = _vocabulary_class(class_name)
    assert issubclass(cls, Vocabulary)
    vocabulary = cls.load(path)
    vocabulary.save(tmp_path / "again.json")
    with open(path, "rb") as original:
        assert (tmp_path / "again.json").read_bytes() == original.read()
    assert cls.load(tmp_path / "again.json") == vocabulary


def test_the_shipped_presets_cover_the_vocabulary_classes():
    assert {class_name for _, class_name, _ in _preset_vocabularies()} >= {
        "CharVocabulary", "PairVocabulary", "WordVocabulary", "BilmVocabulary", "CaptionVocabulary"}


def test_a_token_vocabulary_saves_its_header_and_loads_from_its_folder(tmp_path):
    from kerazoo.models.ngram.ngram_vocabulary import TokenVocabulary

    vocabulary = TokenVocabulary(["the", "king", "é"])
    vocabulary.save(tmp_path / "vocabulary.json")
    assert (tmp_path / "vocabulary.json").read_text(encoding="utf-8") == (
        '{"oov_token": "[UNK]", "unit": "word", "tokens": ["the", "king", "é"]}')
    assert TokenVocabulary.load(tmp_path) == vocabulary and vocabulary.size == 4


def test_loading_a_missing_or_damaged_file_is_an_error_naming_the_file(tmp_path):
    missing = tmp_path / "nothing.json"
    with pytest.raises(FileNotFoundError, match=f"{missing} is missing"):
        CharVocabulary.load(missing)
    with pytest.raises(FileNotFoundError, match="vocabulary.json is missing"):
        CharVocabulary.load(tmp_path)
    cases = {
        "truncated.json": ('{"oov_token": "[UNK]", "charac', "is not a JSON vocabulary file"),
        "latin1.json": (b'{"characters": ["\xe9"]}', "is not a JSON vocabulary file"),
        "other.json": ('{"words": ["a"]}', r"is not a CharVocabulary file: it lacks the key\(s\) \['characters'\]"),
        "list.json": ('["a", "b"]', "is not a CharVocabulary file"),
        "bad.json": ('{"characters": ["ab"]}', "does not hold a valid CharVocabulary: `characters` must hold single"),
    }
    for file_name, (content, message) in cases.items():
        path = tmp_path / file_name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        with pytest.raises(ValueError, match=f"{path} {message}" if "is not" in message else message) as error:
            CharVocabulary.load(path)
        assert str(path) in str(error.value)


def test_vocabularies_are_equal_when_their_class_and_config_are():
    assert CharVocabulary("ab") == CharVocabulary("ba")
    assert CharVocabulary("ab") != CharVocabulary("abc")

    class Other(CharVocabulary):
        pass

    assert CharVocabulary("ab") != Other("ab")
    assert repr(CharVocabulary("ab")) == "CharVocabulary(size=3)" and len(CharVocabulary("ab")) == 3
