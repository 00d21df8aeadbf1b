"""The t5 family's data: the plays cut into chunks, span-corrupted afresh each epoch by tf.data.

- `play_chunks(texts, max_characters)`: each text's words (whitespace-separated,
  punctuation attached) packed greedily into chunks of at most
  `max_characters` characters, words joined by single spaces; a word longer
  than that is a chunk of its own.
- `plays_texts()`: `(train, test)` texts, one per play: its speeches joined by
  single spaces (`kerazoo.data.punctuation.speech_text`), the test plays being
  `kerazoo.data.punctuation.TEST_PLAYS`, held out whole.
- `corrupted_pairs(chunks, sentinels, seed)`: a fixed span corruption of
  each chunk (NumPy, `kerazoo.data.span_corruption.corrupt_text`), for
  validation and the held-out measures.
- `span_corruption_batches(...)`: the training stream, endless; each pass over
  the chunks is shuffled and corrupted with new masks
  (`kerazoo.data.span_corruption_tf.corrupt_dataset`), then batched as
  teacher-forcing inputs and targets of fixed shapes.

`span_units` says what a span is made of. "words" (the default) drops whole
words, as in the paper's example: the inputs and targets join words and
sentinels with single spaces. "characters" drops spans of the model's own
tokens, as T5 drops spans of its SentencePiece pieces: a span may start or end
inside a word, and inputs and targets are the characters and sentinels with
nothing added. Either way a sentinel is one character of the private use area,
so the model reads and writes characters.

`span_targets` says what the decoder writes: "spans" (the default, T5's), the
sentinels and the dropped spans; or "original", the whole chunk, as in MASS and
BART, so that pretraining asks the decoder to copy what the encoder read.
TensorFlow is imported inside `span_corruption_batches` only.
"""

import numpy as np

from kerazoo.data.span_corruption import corrupt_text
from kerazoo.data.span_corruption import TARGETS
from kerazoo.data.span_corruption import TEXT_UNITS
from kerazoo.data.span_corruption import check_targets
from kerazoo.data.span_corruption import check_text_units
from kerazoo.data.span_corruption import sentinel_characters
from kerazoo.data.span_corruption import span_counts
from kerazoo.utils.arguments import check_integer

# A run's `span_units`: what `corrupt_text` drops spans of; its `span_targets`: what the decoder writes.
SPAN_UNITS = TEXT_UNITS
SPAN_TARGETS = TARGETS


def check_span_units(span_units):
    check_text_units(span_units, "span_units")


def check_span_targets(span_targets):
    check_targets(span_targets, "span_targets")


def _units(chunk, span_units):
    return chunk.split() if span_units == "words" else list(chunk)


def plays_texts():
    """`(train, test)` lists of str, one text per play, the test plays held out whole."""
    from kerazoo.data import shakespeare
    from kerazoo.data.punctuation import TEST_PLAYS
    from kerazoo.data.punctuation import speech_text

    train, test = [], []
    for play in shakespeare.load_plays():
        text = " ".join(speech_text(speech) for speech in play.speeches)
        (test if play.slug in TEST_PLAYS else train).append(text)
    return train, test


def play_chunks(texts, max_characters=128):
    """The words of each text packed into chunks of at most `max_characters` characters (a list of str)."""
    check_integer("max_characters", max_characters, minimum=1)
    chunks = []
    for text in texts:
        current = ""
        for word in text.split():
            if current and len(current) + 1 + len(word) > max_characters:
                chunks.append(current)
                current = ""
            current = f"{current} {word}" if current else word
        if current:
            chunks.append(current)
    return chunks


def sentinels_for(chunks, noise_density=0.15, mean_span_length=3.0, span_units="words"):
    """How many sentinels the longest chunk (in `span_units`) needs, and at least 3 (`<X>`, `<Y>`, `<Z>`)."""
    check_span_units(span_units)
    units = max((len(_units(chunk, span_units)) for chunk in chunks), default=0)
    return max(3, span_counts(units, noise_density, mean_span_length)[1] + 1)


def longest_target(chunks, noise_density=0.15, mean_span_length=3.0, span_units="words", span_targets="spans"):
    """An upper bound on the characters of any chunk's target, whatever its spans.

    A target of spans is `spans + 1` sentinels and `noise` units. Words are
    joined by single spaces: at most the `noise` longest words, `noise + 2 *
    spans + 1` more. Characters are not: `noise + spans + 1` in all. An
    original target is the chunk, its units joined as above.
    """
    check_span_units(span_units)
    check_span_targets(span_targets)
    if span_targets == "original":
        separator = " " if span_units == "words" else ""
        return max((len(separator.join(_units(chunk, span_units))) for chunk in chunks), default=0)
    bound = 0
    for chunk in chunks:
        lengths = sorted((len(unit) for unit in _units(chunk, span_units)), reverse=True)
        noise, spans = span_counts(len(lengths), noise_density, mean_span_length)
        spacing = noise + spans if span_units == "words" else 0
        bound = max(bound, sum(lengths[:noise]) + spacing + spans + 1)
    return bound


def corrupted_pairs(chunks, sentinels, seed=0, noise_density=0.15, mean_span_length=3.0, span_units="words",
                    span_targets="spans"):
    """`(input, target)` str pairs: each chunk span-corrupted once, the masks drawn from `seed`."""
    check_span_units(span_units)
    rng = np.random.default_rng(seed)
    characters = sentinel_characters(sentinels)
    return [corrupt_text(chunk, noise_density, mean_span_length, seed=rng, sentinels=characters, units=span_units,
                         targets=span_targets)
            for chunk in chunks]


def span_corruption_batches(chunks, vocabulary, sentinels, seed, batch_size, source_length, target_length,
                            noise_density=0.15, mean_span_length=3.0, span_units="words", span_targets="spans"):
    """An endless `tf.data.Dataset` of `({"encoder_token_ids", "decoder_token_ids"}, targets)` batches.

    Each pass over `chunks` is shuffled and draws new masks; the same `seed`
    gives the same stream. Inputs are padded to `source_length` characters,
    and the decoder inputs (START + target) and targets (target + END) to the
    longest in their batch, a third of the longest possible on average: pairs
    longer than `target_length` (none, with `longest_target` + 1) are dropped.
    """
    import tensorflow as tf

    from kerazoo.data.lookup_tables import token_table
    from kerazoo.data.span_corruption_tf import corrupt_dataset

    check_span_units(span_units)
    source_table, target_table = token_table(vocabulary.source), token_table(vocabulary.target)
    start, end = vocabulary.start_id, vocabulary.end_id
    texts = tf.data.Dataset.from_tensor_slices(tf.constant(chunks)).shuffle(
        len(chunks), seed=seed, reshuffle_each_iteration=True
    )
    if span_units == "words":
        pairs = corrupt_dataset(texts, sentinel_characters(sentinels), seed, noise_density, mean_span_length,
                                targets=span_targets)
    else:
        # The characters are corrupted as source ids, their sentinels' ids included, and turned back into text.
        characters = tf.constant(vocabulary.source.tokens)
        ids = texts.map(lambda text: source_table.lookup(tf.strings.unicode_split(text, "UTF-8")))
        sentinel_ids = [vocabulary.source.tokens.index(c) for c in sentinel_characters(sentinels)]
        pairs = corrupt_dataset(ids, sentinel_ids, seed, noise_density, mean_span_length, targets=span_targets).map(
            lambda inputs, targets: (tf.strings.reduce_join(tf.gather(characters, inputs)),
                                     tf.strings.reduce_join(tf.gather(characters, targets)))
        )

    def encode(source, target):
        source_ids = source_table.lookup(tf.strings.unicode_split(source, "UTF-8"))
        target_ids = target_table.lookup(tf.strings.unicode_split(target, "UTF-8"))
        decoder_ids = tf.concat([[start], target_ids], axis=0)
        return source_ids, decoder_ids, tf.concat([target_ids, [end]], axis=0)

    def fits(source_ids, decoder_ids, target_ids):
        return tf.logical_and(tf.size(source_ids) <= source_length, tf.size(target_ids) <= target_length)

    def as_inputs(source_ids, decoder_ids, target_ids):
        return {"encoder_token_ids": source_ids, "decoder_token_ids": decoder_ids}, target_ids

    return (
        pairs.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
        .filter(fits)
        .padded_batch(batch_size, padded_shapes=([source_length], [None], [None]),
                      drop_remainder=True)
        .map(as_inputs)
        .prefetch(tf.data.AUTOTUNE)
    )
