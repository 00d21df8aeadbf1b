"""The word tokenisers several families share."""

from kerazoo.data.words import tokenize
from kerazoo.data.words import tokenize_with_punctuation


def test_tokens_are_lowercase_letters_and_apostrophes():
    assert tokenize("O Romeo, Romeo! 'Tis  twenty-one; KING HENRY V.") == [
        "o", "romeo", "romeo", "'tis", "twenty", "one", "king", "henry", "v",
    ]


def test_tokenize_with_punctuation_splits_marks_and_keeps_case_and_inner_apostrophes_and_hyphens():
    assert tokenize_with_punctuation("O, I woo'd thee: like a step-dame!") == [
        "O", ",", "I", "woo'd", "thee", ":", "like", "a", "step-dame", "!",
    ]
