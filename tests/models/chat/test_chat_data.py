"""The plays' exchanges, the chat units and vocabulary, and the training batches: exact values on fixed inputs."""

import numpy as np
import pytest

from kerazoo.data import shakespeare
from kerazoo.data.dialogue import VALIDATION_PLAYS
from kerazoo.data.dialogue import Exchange
from kerazoo.data.dialogue import dialogue_splits
from kerazoo.data.dialogue import play_exchanges
from kerazoo.data.punctuation import TEST_PLAYS
from kerazoo.models.chat.chat_data import exchange_arrays
from kerazoo.models.chat.chat_data import length_batches
from kerazoo.models.chat.chat_vocabulary import ChatVocabulary
from kerazoo.models.chat.chat_vocabulary import units

PLAY = """# A Play

## ACT I

### SCENE I. A room.

_Enter A and B_

**A**  
Who's there?

**B**  
Nay, answer me:  
stand, and unfold yourself.

**B**  
_Aside_  
I say again.

**A**  
Long live the king!

**B**  
Bernardo?

### SCENE II. Another room.

**C**  
A new scene.

**A**  
And a reply.
"""


def test_a_reply_follows_another_speaker_in_its_scene_with_the_turns_before_it():
    play = shakespeare.parse_play(PLAY, slug="a-play")
    assert [s.scene for s in play.speeches] == [3, 3, 3, 3, 3, 4, 4]
    found = play_exchanges(play, max_turns=2)
    assert found == [
        Exchange(("Who's there?",), "B", "Nay, answer me: stand, and unfold yourself.", "a-play"),
        # B's second speech follows B: no exchange. A's reply reads the two speeches before it.
        Exchange(("Nay, answer me: stand, and unfold yourself.", "I say again."), "A", "Long live the king!", "a-play"),
        Exchange(("I say again.", "Long live the king!"), "B", "Bernardo?", "a-play"),
        # A scene's first speech answers nothing; a context never reaches into the scene before.
        Exchange(("A new scene.",), "A", "And a reply.", "a-play"),
    ]
    assert play_exchanges(play, max_turns=4)[2].context == (
        "Who's there?", "Nay, answer me: stand, and unfold yourself.", "I say again.", "Long live the king!")


def test_the_splits_hold_whole_plays_and_have_the_documented_sizes():
    splits = dialogue_splits()
    plays = {split: {e.play for e in exchanges} for split, exchanges in splits.items()}
    assert plays["test"] == set(TEST_PLAYS) and plays["validation"] == set(VALIDATION_PLAYS)
    assert len(plays["train"]) == 32 and not plays["train"] & (plays["test"] | plays["validation"])
    # docs/chat.md gives these sizes.
    assert {split: len(exchanges) for split, exchanges in splits.items()} == {
        "train": 25521, "validation": 2123, "test": 2837}
    first = splits["test"][0]
    assert first.play == "twelfth-night" and first.speaker == "CURIO" and first.reply == "Will you go hunt, my lord?"
    assert all(1 <= len(e.context) <= 4 for e in splits["train"])
    assert dialogue_splits()["test"][:50] == splits["test"][:50]  # deterministic
    with pytest.raises(ValueError, match="distinct plays"):
        dialogue_splits(validation_plays=("macbeth",))


def test_units_are_lowercased_words_and_single_marks():
    assert units("What, Curio?") == ["what", ",", "curio", "?"]
    assert units("'Tis O'er--new-bent,\tLORDS' É\u2003x") == [
        "'tis", "o'er", "-", "-", "new", "-", "bent", ",", "lords'", "É", "x"]
    assert units("  ") == []


def test_the_vocabulary_orders_by_count_and_reads_unknown_units_as_unk():
    vocabulary = ChatVocabulary.from_texts(["the lord, the king.", "My lord!"], 11)
    assert vocabulary.tokens[7:] == ["lord", "the", "!", ","]  # lord 2, the 2, then ties in sorted order
    assert vocabulary.encode("The LORD, Horatio") == [8, 7, 10, 1]
    assert vocabulary.decode([8, 7, 10, 9, 3, 7]) == "the lord,!"
    assert vocabulary.decode([1, 2, 7]) == "lord"  # special tokens write nothing
    with pytest.raises(ValueError, match="distinct units"):
        ChatVocabulary(["two words"])
    with pytest.raises(ValueError, match="size"):
        ChatVocabulary.from_texts(["a"], 7)


def test_a_context_keeps_its_last_turns_and_ids_and_the_name_in_front(tmp_path):
    vocabulary = ChatVocabulary(["a", "b", "c", "hamlet"])  # ids 7, 8, 9, 10
    turns = ["a a", "b", "c c c"]
    assert vocabulary.context_ids(turns, 2, 20) == [4, 8, 4, 9, 9, 9]
    assert vocabulary.context_ids(turns, 3, 20) == [4, 7, 7, 4, 8, 4, 9, 9, 9]
    assert vocabulary.context_ids(turns, 3, 5) == [8, 4, 9, 9, 9]
    assert vocabulary.context_ids(turns, 3, 7, speaker="Hamlet") == [5, 10, 8, 4, 9, 9, 9]
    assert vocabulary.context_ids(turns, 1, 7, speaker="First Citizen") == [5, 1, 1, 4, 9, 9, 9]
    vocabulary.save(tmp_path / "vocabulary.json")
    assert ChatVocabulary.load(tmp_path) == vocabulary


def test_reply_arrays_end_a_short_reply_and_cut_a_long_one():
    vocabulary = ChatVocabulary(["a", "b"])
    inputs, targets = vocabulary.reply_arrays(["a b", "b b b b", ""], 4)
    np.testing.assert_array_equal(targets, [[7, 8, 3, 0], [8, 8, 8, 8], [3, 0, 0, 0]])
    np.testing.assert_array_equal(inputs, [[2, 7, 8, 0], [2, 8, 8, 8], [2, 0, 0, 0]])
    exchanges = [Exchange(("a", "b a"), "A", "a b", "p"), Exchange(("b",), "B", "b", "p")]
    x, y = exchange_arrays(vocabulary, exchanges, 1, 5, 3, show_speaker=[True, False])
    np.testing.assert_array_equal(x["encoder_token_ids"], [[5, 7, 4, 8, 7], [4, 8, 0, 0, 0]])
    np.testing.assert_array_equal(x["decoder_token_ids"], [[2, 7, 8], [2, 8, 0]])
    np.testing.assert_array_equal(y, [[7, 8, 3], [8, 3, 0]])


def test_length_batches_cover_an_epoch_once_in_a_seeded_order():
    lengths = np.random.default_rng(0).integers(1, 40, 1000)
    epoch = length_batches(lengths, 16, seed=3, epoch=0, chunk=4)
    rows = np.concatenate(epoch)
    assert len(epoch) == 62 and all(len(b) == 16 for b in epoch)
    assert len(set(rows.tolist())) == len(rows) == 992
    # Rows of a batch come from one chunk, sorted by length: a batch spans far less than the whole range.
    assert np.mean([np.ptp(lengths[b]) for b in epoch]) < 0.3 * np.ptp(lengths)
    again = length_batches(lengths, 16, seed=3, epoch=0, chunk=4)
    assert all(np.array_equal(a, b) for a, b in zip(epoch, again))
    assert not np.array_equal(np.concatenate(length_batches(lengths, 16, seed=3, epoch=1, chunk=4)), rows)
