import numpy as np
import pytest

from kerazoo.data.characters import encode_characters
from kerazoo.data.characters import encode_sentences
from kerazoo.data.words import tokenize_with_punctuation
from kerazoo.models.elmo.elmo_data import DEFAULT_VALIDATION_PLAYS
from kerazoo.models.elmo.elmo_data import TokenStream
from kerazoo.models.elmo.elmo_data import load_sentences
from kerazoo.models.elmo.elmo_data import make_bilm_dataset
from kerazoo.models.elmo.elmo_vocabulary import BOS_ID
from kerazoo.models.elmo.elmo_vocabulary import EOS_ID
from kerazoo.models.elmo.elmo_vocabulary import OOV_ID
from kerazoo.models.elmo.elmo_vocabulary import BilmVocabulary


def test_characters_are_word_marks_around_utf8_bytes_shifted_by_one():
    rows = encode_characters(["Hi", "é"], max_characters=8)
    np.testing.assert_array_equal(rows[0], [259, ord("H") + 1, ord("i") + 1, 260, 0, 0, 0, 0])
    np.testing.assert_array_equal(rows[1], [259, 0xC3 + 1, 0xA9 + 1, 260, 0, 0, 0, 0])


def test_a_long_token_is_cut_to_max_characters_minus_two_bytes():
    long = "x" * 80
    np.testing.assert_array_equal(encode_characters([long]), encode_characters([long[:48]]))
    assert encode_characters([long])[0, -1] == 260


def test_encode_sentences_pads_and_refuses_empty_sentences():
    characters, lengths = encode_sentences(["a b c", "  d  "])
    assert characters.shape == (2, 3, 50) and lengths.tolist() == [3, 1]
    assert not characters[1, 1:].any()
    with pytest.raises(ValueError, match="empty sentences at positions \\[1\\]"):
        encode_sentences(["a", "   "])
    with pytest.raises(ValueError, match="at least one sentence"):
        encode_sentences([])


def test_vocabulary_orders_by_frequency_and_round_trips(tmp_path):
    vocabulary = BilmVocabulary.from_tokens("b a b c b a".split(), min_count=2)
    assert vocabulary.tokens == ["<pad>", "<unk>", "<S>", "</S>", "b", "a"]
    assert vocabulary.encode(["a", "c"]).tolist() == [5, OOV_ID]
    vocabulary.save(tmp_path / "vocabulary.json")
    assert BilmVocabulary.load(str(tmp_path)) == vocabulary


def test_windows_predict_every_stream_token_once_in_each_direction():
    sentences = [["a", "b"], ["c", "zzz", "a"]]
    vocabulary = BilmVocabulary.from_tokens(["a", "b", "c"])
    stream = TokenStream.from_sentences(sentences, vocabulary)
    words = stream.word_ids[stream.type_ids]
    assert words.tolist() == [BOS_ID, 4, 5, EOS_ID, BOS_ID, 6, OOV_ID, 4, EOS_ID]
    characters, targets = next(iter(make_bilm_dataset(stream, 3, 2, shuffle=False, pipeline="numpy")))
    np.testing.assert_array_equal(targets["forward"], [words[2:5], words[5:8]])
    np.testing.assert_array_equal(targets["backward"], [words[0:3], words[3:6]])
    # The unknown word keeps its own spelling.
    np.testing.assert_array_equal(characters[1, 2], encode_characters(["zzz"])[0])


def test_tf_data_and_numpy_pipelines_give_the_same_batches():
    sentences = [["w%d" % (i % 7)] * (i % 4 + 1) for i in range(40)]
    vocabulary = BilmVocabulary.from_tokens([t for s in sentences for t in s], max_size=4)
    stream = TokenStream.from_sentences(sentences, vocabulary)
    a = list(make_bilm_dataset(stream, 5, 4, shuffle=False, pipeline="numpy"))
    b = list(make_bilm_dataset(stream, 5, 4, shuffle=False, pipeline="tf"))
    assert len(a) == len(b)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, np.asarray(xb))
        np.testing.assert_array_equal(ya["forward"], np.asarray(yb["forward"]))


def test_validation_plays_are_held_out_whole():
    from kerazoo.data.shakespeare import load_plays
    from kerazoo.models.elmo.elmo_data import play_lines

    train, validation = load_sentences("shakespeare", ["macbeth"])
    macbeth = next(p for p in load_plays() if p.slug == "macbeth")
    assert len(validation) == len([line for line in play_lines(macbeth) if tokenize_with_punctuation(line)])
    assert validation[0] == tokenize_with_punctuation(play_lines(macbeth)[0])
    assert len(DEFAULT_VALIDATION_PLAYS) == 4
    with pytest.raises(ValueError, match="validation_plays"):
        load_sentences("shakespeare", ["hamlet-ii"])


def test_plain_text_is_the_punctuation_taggers_input_word_for_word():
    # A biLM trained with text="plain" must read in training what the tagger feeds it: the task's
    # input words, lowercased, without marks. Checked on every speech of one play.
    from kerazoo.data.punctuation import punctuation_speeches
    from kerazoo.data.shakespeare import load_plays
    from kerazoo.models.elmo.elmo_data import plain_words

    assert plain_words("O, woo'd! Who's there?") == ["o", "woo'd", "who's", "there"]
    macbeth = [p for p in load_plays() if p.slug == "macbeth"]
    speeches = punctuation_speeches(macbeth)
    for words, target in zip(speeches.inputs, speeches.targets):
        assert plain_words(target) == words.split()
    _, plain = load_sentences("shakespeare", ["macbeth"], text="plain")
    _, cased = load_sentences("shakespeare", ["macbeth"])
    assert plain[0] == [token.lower() for token in cased[0] if token[0].isalnum()]
    assert all(token == token.lower() and token[0].isalnum() for sentence in plain for token in sentence)


def test_text_must_be_cased_or_plain(tmp_path):
    from kerazoo.models.registry import get_family

    path = tmp_path / "lines.txt"
    path.write_text("Who's there?\nNay, answer me: stand.\nLong live the King!\n", encoding="utf-8")
    train, validation = load_sentences(str(path), text="plain")
    assert train == [["who's", "there"], ["nay", "answer", "me", "stand"]] and validation == [["long", "live", "the", "king"]]
    with pytest.raises(ValueError, match=r"`text` must be one of \['cased', 'plain'\]. Received: text='lower'"):
        load_sentences(str(path), text="lower")
    family = get_family("elmo")
    config = family.resolve_config(config="elmo-small-plain")
    assert config["text"] == "plain" and config["model_kwargs"] == family.resolve_config(model="elmo")["model_kwargs"]
    assert "text" in family.identity
    with pytest.raises(ValueError, match="Received: text='lower'"):
        family.check_config({**config, "text": "lower"})
