"""Span corruption, T5's pretraining objective, on NumPy arrays of ids and on text.

Some spans of the input are dropped. The input keeps one sentinel in place of
each dropped span, and the target lists each sentinel followed by the span it
stands for, then one final sentinel (Raffel et al. 2020, figure 2):

    original: Thank you for inviting me to your party last week.
    inputs:   Thank you <X> me to your party <Y> week.
    targets:  <X> for inviting <Y> last <Z>

With `targets="original"` (`corrupt_text`, and `corrupt_dataset` in
tf.data) the target is the whole original instead, as in MASS and BART: the
inputs stay as above, and the decoder learns to copy what it reads as well as
to write what was dropped (the paper's table 4 compares the two).

Span layout. For a sequence of `length` tokens (`span_counts`):

- noise tokens: `round(length * noise_density)`, at least 1 and at most `length - 1`;
- noise spans: `round(noise_tokens / mean_span_length)`, at least 1 and at most
  the number of non-noise tokens, so that every two spans have a kept token between them;
- the noise tokens are split into the spans by a random partition (every split
  into non-empty parts equally likely), and so are the kept tokens into the
  gaps: the sequence starts with a kept token, a kept token separates every two
  spans, and the tail after the last span may be empty.

T5's `random_spans_noise_mask` does the same, except that its last span always
ends the sequence; here the tail is drawn with the other gaps, so the last
token is no likelier to be dropped than its neighbours. A sequence shorter than
2 tokens is left whole (its target is the final sentinel alone). Rounding is
half to even (NumPy's and TensorFlow's `round`).

Sentinels. `corrupt_with_mask` and `span_corrupt` take the sentinel ids as an
argument: any ids the sequence never uses, `len` at least the spans + 1.
For text, sentinels have names (`sentinel_names`): `<X>`, `<Y>`, `<Z>` as in
the paper's figure, then `<X1>`, `<Y1>`, `<Z1>`, `<X2>`, ... A character-level
model gives each sentinel one character of Unicode's private use area, U+E000
onwards (`sentinel_characters`), so a sentinel is one id of a `CharVocabulary`
and joins it like any character (`add_sentinels`); the vocabulary files and the
exported graphs, which split text into characters, need no change.
`to_sentinel_names` and `to_sentinel_characters` translate between the two.

The random draws use NumPy (`numpy.random.default_rng(seed)`). The tf.data form,
`kerazoo.data.span_corruption_tf`, lays spans out by the same rules with
TensorFlow's stateless random ops, so its masks differ from these for the same seed.

Reference: Raffel et al., "Exploring the Limits of Transfer Learning with a
Unified Text-to-Text Transformer", JMLR 2020, section 3.1.4.
"""

import re

import numpy as np

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number

# The first character of the private use area (U+E000 to U+F8FF): sentinel i is chr(SENTINEL_BASE + i).
SENTINEL_BASE = 0xE000
MAX_SENTINELS = 0xF8FF - SENTINEL_BASE + 1
_LETTERS = "XYZ"
_NAME = re.compile(r"<([XYZ])([1-9][0-9]*)?>")
_CHARACTER = re.compile("[\ue000-\uf8ff]")


def check_noise(noise_density, mean_span_length):
    """Returns the two settings if `noise_density` is in (0, 1) and `mean_span_length` >= 1, else raises a ValueError."""
    check_number("noise_density", noise_density, minimum=0, maximum=1, exclusive_minimum=True, exclusive_maximum=True)
    check_number("mean_span_length", mean_span_length, minimum=1, finite=True)
    return noise_density, mean_span_length


def span_counts(length, noise_density=0.15, mean_span_length=3.0):
    """`(noise_tokens, noise_spans)` for a sequence of `length` tokens (see the module's docstring)."""
    check_integer("length", length, minimum=0)
    check_noise(noise_density, mean_span_length)
    if length < 2:
        return 0, 0
    noise = min(max(int(np.round(length * noise_density)), 1), length - 1)
    spans = min(max(int(np.round(noise / mean_span_length)), 1), length - noise)
    return noise, spans


def sentinels_needed(length, noise_density=0.15, mean_span_length=3.0):
    """How many sentinels a sequence of `length` tokens uses: one per span and the final one."""
    return span_counts(length, noise_density, mean_span_length)[1] + 1


def _random_partition(items, parts, rng):
    """`parts` positive int lengths that add up to `items`, each such partition equally likely."""
    cuts = np.sort(rng.choice(items - 1, size=parts - 1, replace=False)) + 1
    return np.diff(np.concatenate([[0], cuts, [items]]))


def random_noise_mask(length, noise_density=0.15, mean_span_length=3.0, seed=None):
    """A bool array `(length,)`, True on the tokens to drop, laid out as the module's docstring says.

    Args:
        length: int >= 0.
        noise_density: float in (0, 1). The share of tokens dropped.
        mean_span_length: float >= 1. The mean number of tokens in a dropped span.
        seed: int, None or a `numpy.random.Generator`.
    """
    noise, spans = span_counts(length, noise_density, mean_span_length)
    if spans == 0:
        return np.zeros(length, dtype=bool)
    rng = np.random.default_rng(seed)
    segments = np.empty(2 * spans + 1, dtype=np.int64)
    segments[1::2] = _random_partition(noise, spans, rng)
    # Kept tokens go into spans + 1 gaps; the last (the tail) may be empty: partition one more and take it back.
    segments[0::2] = _random_partition(length - noise + 1, spans + 1, rng)
    segments[-1] -= 1
    return np.repeat(np.arange(2 * spans + 1) % 2 == 1, segments)


def _as_mask(mask, length, owner):
    """`mask` as a bool array, if it is 1-D, `length` long and holds only booleans or 0 and 1."""
    array = np.asarray(mask)
    if array.shape != (length,) or not (array.dtype == bool or np.isin(array, (0, 1)).all()):
        raise ValueError(
            f"`mask` must be a 1-D bool array as long as {owner} ({length}). Received: mask={_shown(array.reshape(-1))}"
        )
    return array.astype(bool)


def span_starts(mask):
    """True where a span of True in the bool array `mask` begins."""
    return mask & ~np.concatenate([[False], mask])[:-1]


def _shown(values):
    values = np.asarray(values).tolist()
    return f"{values}" if len(values) <= 12 else f"[{', '.join(map(str, values[:12]))}, ...] ({len(values)} ids)"


def corrupt_with_mask(ids, mask, sentinel_ids):
    """Drops the spans that `mask` marks: returns `(inputs, targets)`, int arrays of the dtype of `ids`.

    Each maximal run of True in `mask` is one span; span i becomes `sentinel_ids[i]` in
    the inputs, and the targets are `sentinel_ids[i]` followed by the span's ids, for
    each span in order, then `sentinel_ids[spans]`.

    Args:
        ids: 1-D int array-like. The sequence; it must not hold any of `sentinel_ids`.
        mask: 1-D bool array-like of the same length. True on the tokens to drop.
        sentinel_ids: 1-D int array-like with at least spans + 1 ids.

    Example:

    >>> corrupt_with_mask([5, 6, 7, 8, 9], [0, 1, 0, 1, 1], [100, 101, 102])
    (array([  5, 100,   7, 101]), array([100,   6, 101,   8,   9, 102]))
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not (ids.size == 0 or np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(f"`ids` must be a 1-D sequence of integer ids. Received: ids={_shown(ids.reshape(-1))}")
    ids = ids.astype(np.int64) if ids.size == 0 else ids
    mask = _as_mask(mask, len(ids), "`ids`")
    sentinels = np.asarray(sentinel_ids)
    starts = span_starts(mask)
    spans = int(starts.sum())
    if sentinels.ndim != 1 or len(sentinels) < spans + 1:
        raise ValueError(
            f"`sentinel_ids` must hold at least {spans + 1} ids here (one for each of the {spans} spans and a "
            f"final one). Received: sentinel_ids={_shown(sentinels.reshape(-1))}"
        )
    clash = np.intersect1d(ids, sentinels)
    if clash.size:
        raise ValueError(
            f"`ids` must not hold a sentinel id, or the targets could not be told apart. "
            f"Received: ids holding {_shown(clash)}"
        )
    sentinels = sentinels.astype(ids.dtype)
    span_sentinels = sentinels[np.cumsum(starts) - 1]  # tokens before the first span read index -1, unused
    inputs = np.where(starts, span_sentinels, ids)[~mask | starts]
    pairs = np.stack([span_sentinels, ids], axis=1)
    keep = np.stack([starts, mask], axis=1)
    targets = np.concatenate([pairs[keep], sentinels[spans : spans + 1]])
    return inputs, targets


def span_corrupt(ids, sentinel_ids, noise_density=0.15, mean_span_length=3.0, seed=None, targets="spans"):
    """T5's span corruption of one sequence of ids: `corrupt_with_mask` with a `random_noise_mask`.

    Args:
        ids: 1-D int array-like.
        sentinel_ids: 1-D int array-like, at least `sentinels_needed(len(ids), ...)` ids.
        noise_density: float in (0, 1). The share of tokens dropped (T5: 0.15).
        mean_span_length: float >= 1. The mean length of a dropped span (T5: 3).
        seed: int, None or a `numpy.random.Generator`.
        targets: `"spans"` or `"original"` (`TARGETS`, see `corrupt_text`): the target is `ids`.

    Returns:
        `(inputs, targets)`, int arrays.
    """
    check_targets(targets)
    ids = np.asarray(ids)
    mask = random_noise_mask(len(ids), noise_density, mean_span_length, seed)
    inputs, spans = corrupt_with_mask(ids, mask, sentinel_ids)
    return inputs, (spans if targets == "spans" else ids)


def fill_spans(inputs, targets, sentinel_ids):
    """The sequence that `inputs` and `targets` describe: each sentinel of `inputs` replaced by its span.

    The inverse of `corrupt_with_mask`. A sentinel of `inputs` that `targets` does not
    list (a model may omit one) is dropped; ids in `targets` before its first
    sentinel are ignored.

    Example:

    >>> fill_spans([5, 100, 7, 101], [100, 6, 101, 8, 9, 102], [100, 101, 102]).tolist()
    [5, 6, 7, 8, 9]
    """
    sentinels = set(np.asarray(sentinel_ids).reshape(-1).tolist())
    spans, current = {}, None
    for token in np.asarray(targets).reshape(-1).tolist():
        if token in sentinels:
            current = spans.setdefault(token, [])
        elif current is not None:
            current.append(token)
    out = []
    for token in np.asarray(inputs).reshape(-1).tolist():
        if token in sentinels:
            out.extend(spans.get(token, ()))
        else:
            out.append(token)
    return np.asarray(out, dtype=np.asarray(inputs).dtype if len(inputs) else np.int64)


# --- Sentinels and text ---------------------------------------------------------------------------------------------


def sentinel_names(count):
    """The names of the first `count` sentinels: `<X>`, `<Y>`, `<Z>`, `<X1>`, `<Y1>`, `<Z1>`, `<X2>`, ..."""
    check_integer("count", count, minimum=0)
    return [_name(i) for i in range(count)]


def _name(i):
    return f"<{_LETTERS[i % 3]}{i // 3 or ''}>"


def sentinel_characters(count):
    """The first `count` sentinel characters, U+E000 onwards (Unicode's private use area)."""
    check_integer("count", count, minimum=0, maximum=MAX_SENTINELS)
    return [chr(SENTINEL_BASE + i) for i in range(count)]


def to_sentinel_characters(text):
    """`text` with every sentinel name (`<X>`, `<Y1>`, ...) replaced by its character."""
    return _NAME.sub(lambda m: chr(SENTINEL_BASE + 3 * int(m.group(2) or 0) + _LETTERS.index(m.group(1))), text)


def to_sentinel_names(text):
    """`text` with every sentinel character replaced by its name: what a person reads."""
    return _CHARACTER.sub(lambda m: _name(ord(m.group()) - SENTINEL_BASE), text)


def add_sentinels(vocabulary, count):
    """A `CharVocabulary` holding the characters of `vocabulary` and the first `count` sentinel characters.

    They sort after the letters, digits and punctuation of Western text, so the ids
    those already have stay the same; `sentinel_ids` gives theirs.
    """
    return CharVocabulary(list(vocabulary.characters) + sentinel_characters(count))


def sentinel_ids(vocabulary, count):
    """The ids of the first `count` sentinel characters in a `CharVocabulary` (int32 array)."""
    ids = vocabulary.encode("".join(sentinel_characters(count)))
    if (ids == OOV_ID).any():
        raise ValueError(
            f"`vocabulary` must hold the first {count} sentinel characters; build it with `add_sentinels`. "
            f"Received: {vocabulary!r} with {int((ids != OOV_ID).sum())} of them"
        )
    return ids


# What `corrupt_text` drops spans of: whitespace-separated words, or single characters.
TEXT_UNITS = ("words", "characters")
# What a target holds: the dropped spans after their sentinels (T5), or the whole original (MASS and BART's way).
TARGETS = ("spans", "original")


def check_text_units(units, name="units"):
    """Refuses `units` that are not one of `TEXT_UNITS`, naming the argument (`name`) and the value."""
    if units not in TEXT_UNITS:
        raise ValueError(f"`{name}` must be one of {list(TEXT_UNITS)}. Received: {name}={units!r}")


def check_targets(targets, name="targets"):
    """Refuses `targets` that are not one of `TARGETS`, naming the argument (`name`) and the value."""
    if targets not in TARGETS:
        raise ValueError(f"`{name}` must be one of {list(TARGETS)}. Received: {name}={targets!r}")


def corrupt_text(text, noise_density=0.15, mean_span_length=3.0, seed=None, mask=None, sentinels=None,
                 units="words", targets="spans"):
    """Span corruption of the words (or characters) of `text`: returns `(input_text, target_text)`.

    Words are the whitespace-separated tokens, punctuation attached ("week." is one
    word); the results join tokens and sentinels with single spaces. With
    `units="characters"` every character is a token, a span may cut a word, and
    nothing is joined between them.

    Args:
        text: str.
        noise_density, mean_span_length, seed: as in `span_corrupt`.
        mask: bool array-like with one entry per unit, or None (drawn at random).
            Fixes the spans; then the three settings above are not used.
        sentinels: list of str, or None for `sentinel_names`. `sentinel_characters(n)`
            gives the form a character-level model reads.
        units: `"words"` or `"characters"` (`TEXT_UNITS`).
        targets: `"spans"` (T5's) or `"original"` (`TARGETS`): the target is the
            whole text, its units joined as the input's are, so that the decoder
            copies what it reads and writes what was dropped (the "MASS-style"
            objective of the paper's table 4, BART's text infilling).

    Example:

    >>> corrupt_text("Thank you for inviting me to your party last week.", mask=[0, 0, 1, 1, 0, 0, 0, 0, 1, 0])
    ('Thank you <X> me to your party <Y> week.', '<X> for inviting <Y> last <Z>')
    """
    if not isinstance(text, str):
        raise ValueError(f"`text` must be a str. Received: text={text!r}")
    check_text_units(units)
    check_targets(targets)
    words = text.split() if units == "words" else list(text)
    if mask is None:
        mask = random_noise_mask(len(words), noise_density, mean_span_length, seed)
    mask = _as_mask(mask, len(words), f"the {units} of `text`")
    spans = int(span_starts(mask).sum())
    sentinels = sentinel_names(spans + 1) if sentinels is None else list(sentinels)
    clash = sorted(set(words) & set(sentinels))
    if clash:
        raise ValueError(f"`text` must not hold a sentinel as a word. Received: text holding {clash}")
    ids = np.arange(len(words))
    inputs, spans = corrupt_with_mask(ids, mask, np.arange(len(words), len(words) + len(sentinels)))
    tokens = words + sentinels
    separator = " " if units == "words" else ""
    written = spans if targets == "spans" else ids
    return separator.join(tokens[i] for i in inputs), separator.join(tokens[i] for i in written)


def fill_text(input_text, target_text, sentinels=None):
    """The text that `corrupt_text` corrupted, words joined by single spaces: `fill_spans` on words.

    Args:
        input_text, target_text: str.
        sentinels: list of str, or None for `sentinel_names` (as many as could appear).
    """
    inputs, targets = input_text.split(), target_text.split()
    if sentinels is None:
        sentinels = sentinel_names(len(inputs) + len(targets) + 1)
    tokens = list(dict.fromkeys(inputs + targets + list(sentinels)))
    index = {token: i for i, token in enumerate(tokens)}
    filled = fill_spans([index[t] for t in inputs], [index[t] for t in targets], [index[s] for s in sentinels])
    return " ".join(tokens[i] for i in filled)
