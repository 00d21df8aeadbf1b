"""ELMo's character ids: every token as 50 ids, from its UTF-8 bytes (Peters et al. 2018; allenai/bilm-tf).

A token becomes `max_characters` (50) ids: begin-of-word, the token's UTF-8
bytes, end-of-word, then padding. Bytes are used rather than characters, so any
text, ASCII or not, has ids and nothing is out of vocabulary; a token longer
than `max_characters - 2` bytes is cut to its first `max_characters - 2` bytes.

    0        padding (also the whole row of a padding token)
    1..256   byte b -> b + 1
    257      begin-of-sentence character   258  end-of-sentence character
    259      begin-of-word                 260  end-of-word

The sentence boundaries `<S>` and `</S>` are whole tokens with rows
[259, 257, 260] and [259, 258, 260]; only the language-model data and the
embedder insert them, never a user's text.

The ELMo SavedModel splits its input on ASCII whitespace only
(`split_whitespace`, as `tf.strings.split` does), so text sent to it should be
tokenised first (`kerazoo.data.words.tokenize_with_punctuation`) and joined with spaces.
Pure Python and NumPy: no TensorFlow is needed.
"""

import re

import numpy as np

MAX_CHARACTERS = 50
PADDING_CHARACTER = 0
BOS_CHARACTER = 257
EOS_CHARACTER = 258
BOW_CHARACTER = 259
EOW_CHARACTER = 260
CHARACTER_VOCABULARY_SIZE = 261

# The whitespace `tf.strings.split` splits on, so that Python and the SavedModel see the same tokens.
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


def split_whitespace(sentence):
    """The tokens of a whitespace-tokenised sentence, split on ASCII whitespace only, as the SavedModel splits."""
    return [token for token in _WHITESPACE.split(sentence) if token]


def _check_max_characters(max_characters):
    if int(max_characters) != max_characters or max_characters < 3:
        raise ValueError(f"`max_characters` must be an integer >= 3. Received: max_characters={max_characters}")


def boundary_characters(character, max_characters=MAX_CHARACTERS):
    """The id row of a sentence boundary: `character` is BOS_CHARACTER or EOS_CHARACTER."""
    row = np.zeros(max_characters, np.int32)
    row[:3] = (BOW_CHARACTER, character, EOW_CHARACTER)
    return row


def encode_characters(tokens, max_characters=MAX_CHARACTERS):
    """The character ids of each token, `(len(tokens), max_characters)` int32.

    Args:
        tokens: list of str. Each is encoded as UTF-8 and cut to
            `max_characters - 2` bytes; an empty token is an error.
        max_characters: int. Ids per token, the two word marks included.
    """
    _check_max_characters(max_characters)
    rows = np.zeros((len(tokens), max_characters), np.int32)
    limit = max_characters - 2
    for i, token in enumerate(tokens):
        if not isinstance(token, str) or not token:
            raise ValueError(f"Every token must be a non-empty str. Received: tokens[{i}]={token!r}")
        data = token.encode("utf-8")[:limit]
        rows[i, 0] = BOW_CHARACTER
        rows[i, 1 : len(data) + 1] = np.frombuffer(data, np.uint8).astype(np.int32) + 1
        rows[i, len(data) + 1] = EOW_CHARACTER
    return rows


def encode_sentences(sentences, max_characters=MAX_CHARACTERS):
    """Whitespace-tokenised sentences -> `(characters (batch, T, max_characters), lengths (batch,))`.

    This is what the ELMo SavedModel's `embed` signature does in its graph:
    split each sentence on ASCII whitespace (`split_whitespace`), encode each
    token, pad with zero rows to the longest sentence. A sentence without
    tokens is an error.
    """
    if isinstance(sentences, str):
        raise ValueError(f"`sentences` must be a list of str, not one str. Received: sentences={sentences!r}")
    split = [split_whitespace(sentence) for sentence in sentences]
    if not split:
        raise ValueError("`sentences` must hold at least one sentence. Received: sentences=[]")
    empty = [i for i, tokens in enumerate(split) if not tokens]
    if empty:
        raise ValueError(
            f"Every sentence must hold at least one token; empty sentences at positions {empty}."
        )
    lengths = np.array([len(tokens) for tokens in split], np.int32)
    characters = np.zeros((len(split), lengths.max(), max_characters), np.int32)
    for i, tokens in enumerate(split):
        characters[i, : len(tokens)] = encode_characters(tokens, max_characters)
    return characters, lengths
