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
"""

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
