"""The word tokenisers several families share, and the word-overlap F1 of replies."""

import pytest

from kerazoo.data.words import mean_word_f1
from kerazoo.data.words import tokenize
from kerazoo.data.words import tokenize_with_punctuation
from kerazoo.data.words import word_f1


def test_tokens_are_lowercase_letters_and_apostrophes():
    assert tokenize("O Romeo, Romeo! 'Tis  twenty-one; KING HENRY V.") == [
        "o", "romeo", "romeo", "'tis", "twenty", "one", "king", "henry", "v",
    ]


def test_tokenize_with_punctuation_splits_marks_and_keeps_case_and_inner_apostrophes_and_hyphens():
    assert tokenize_with_punctuation("O, I woo'd thee: like a step-dame!") == [
        "O", ",", "I", "woo'd", "thee", ":", "like", "a", "step-dame", "!",
    ]


def test_word_f1_counts_shared_words_as_multisets_of_lowercase_words():
    from collections import Counter

    # "Good my lord, my lord!" against "My good lord.": words good, my, lord, my, lord and my, good, lord.
    # Shared as multisets: good 1, my 1, lord 1 -> precision 3/5, recall 3/3, F1 = 2 * 0.6 * 1 / 1.6 = 0.75.
    assert word_f1("Good my lord, my lord!", "My good lord.") == pytest.approx(0.75)
    predicted, expected = Counter(["good", "my", "lord", "my", "lord"]), Counter(["my", "good", "lord"])
    precision = sum((predicted & expected).values()) / 5
    assert word_f1("Good my lord, my lord!", "My good lord.") == pytest.approx(2 * precision / (precision + 1))
    assert word_f1("What, Curio?", "what curio") == 1.0  # case and marks do not count
    assert word_f1("The hart.", "Will you go hunt?") == 0.0
    # One shared word of 2 and of 4: precision 1/2, recall 1/4, F1 = 2 * 1/8 / (3/4) = 1/3.
    assert word_f1("my liege", "the hart my lord") == pytest.approx(1 / 3)
    assert word_f1("", "?!") == 1.0 and word_f1("O!", "") == 0.0


def test_mean_word_f1_averages_over_pairs_and_checks_its_lists():
    assert mean_word_f1(["my liege", "What, Curio?", "no"], ["the hart my lord", "what curio", "yes"]) == \
        pytest.approx((1 / 3 + 1.0 + 0.0) / 3)
    with pytest.raises(ValueError, match="2 predictions and 1 references"):
        mean_word_f1(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="non-empty"):
        mean_word_f1([], [])
