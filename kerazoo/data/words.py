"""Word tokenisers that several families and the text-shard reader share.

- `tokenize`: word2vec's tokens, the lowercase `[a-z']+` runs of a text.
  Text shards (`kerazoo.data.text_shards`) are counted and read with the same
  pattern, so a corpus streamed from disk and the same corpus in memory have
  the same words.
- `tokenize_with_punctuation`: ELMo's tokens, which keep case and make each
  punctuation mark a token of its own. The biLM's data
  (`kerazoo.models.elmo.elmo_data`) and the genre task (`kerazoo.data.genre`)
  split lines with it, and text sent to an ELMo SavedModel should be split
  with it and joined with spaces.
- `word_f1`: the word-overlap F1 of a reply against its reference, as
  dialogue benchmarks score replies: precision and recall over the multisets
  of `tokenize`'s words (lowercased, marks dropped).
"""

from collections import Counter

import re

TOKEN_PATTERN = re.compile(r"[a-z']+")
# A word keeps its inner apostrophes and hyphens; every other mark is a token of its own.
_PUNCTUATED_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


def tokenize(text):
    """The lowercase `[a-z']+` tokens of `text`, as a list of str."""
    return TOKEN_PATTERN.findall(text.lower())


def tokenize_with_punctuation(line):
    """Splits `line` into words and punctuation marks, case kept: "O, woo'd!" -> ["O", ",", "woo'd", "!"]."""
    return _PUNCTUATED_TOKEN.findall(line)


def word_f1(prediction, reference):
    """The F1 of `prediction`'s `tokenize` words against `reference`'s, counted as multisets.

    Precision is the shared words over the prediction's, recall over the reference's; a word shared twice counts
    twice only if both hold it twice. Two texts without words score 1.0, one without words 0.0.
    """
    predicted, expected = Counter(tokenize(prediction)), Counter(tokenize(reference))
    if not predicted or not expected:
        return float(not predicted and not expected)
    shared = sum((predicted & expected).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / sum(predicted.values()), shared / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def mean_word_f1(predictions, references):
    """`word_f1` averaged over pairs of `predictions` and `references` (lists of str of the same length)."""
    if len(predictions) != len(references) or not references:
        raise ValueError(f"`predictions` and `references` must be non-empty lists of the same length. "
                         f"Received: {len(predictions)} predictions and {len(references)} references")
    return sum(word_f1(p, r) for p, r in zip(predictions, references)) / len(references)
