"""Span corruption in TensorFlow ops, for tf.data pipelines that corrupt on the fly.

The layout and the output follow `kerazoo.data.span_corruption` (see its
docstring): the same counts of noise tokens and spans, the same random
partitions, the same inputs and targets for a given mask. The draws come from
TensorFlow's stateless random ops, so a mask is a function of its seed, a
shape-`(2,)` int tensor, and does not depend on the order in which a parallel
`map` runs; it differs from the NumPy mask of the same seed.

- `noise_mask_tf(length, seed, ...)`: the bool mask.
- `corrupt_with_mask_tf(ids, mask, sentinel_ids)`: the inputs and targets for a given mask.
- `span_corrupt_tf(ids, seed, sentinel_ids, ...)`: one sequence of ids.
- `corrupt_text_tf(text, seed, sentinels, ...)`: the words of a scalar string,
  as `corrupt_text`; the two results are strings.
- `corrupt_dataset(dataset, sentinels, seed, ...)`: every element, with a fresh
  mask each epoch.

TensorFlow is imported inside the functions, as everywhere in kerazoo/data.
"""

from kerazoo.data.span_corruption import check_noise
from kerazoo.data.span_corruption import check_targets
from kerazoo.utils.arguments import check_integer

SENTINEL_MESSAGE = "`sentinel_ids` must hold one id for each noise span and a final one; it has too few for this sequence"


def _partition_tf(items, parts, seed):
    """`parts` positive lengths adding up to `items`, each partition equally likely (`parts` >= 1)."""
    import tensorflow as tf

    # parts - 1 distinct cut points among 1 .. items - 1: the first ones of a random order.
    order = tf.argsort(tf.random.stateless_uniform([items - 1], seed=seed))
    cuts = tf.sort(order[: parts - 1]) + 1
    bounds = tf.concat([[0], cuts, [items]], axis=0)
    return bounds[1:] - bounds[:-1]


def noise_mask_tf(length, seed, noise_density=0.15, mean_span_length=3.0):
    """A bool tensor `(length,)`, True on the tokens to drop: `random_noise_mask` in TensorFlow ops.

    Args:
        length: int or int scalar tensor >= 0.
        seed: int tensor `(2,)`. The stateless seed.
        noise_density: float in (0, 1).
        mean_span_length: float >= 1.
    """
    import tensorflow as tf

    check_noise(noise_density, mean_span_length)
    length = tf.cast(length, tf.int32)
    # A sequence of 0 or 1 tokens is laid out as 2 and cut back: its one token is the kept one.
    padded = tf.maximum(length, 2)
    noise = tf.cast(tf.round(tf.cast(padded, tf.float64) * noise_density), tf.int32)
    noise = tf.clip_by_value(noise, 1, padded - 1)
    spans = tf.cast(tf.round(tf.cast(noise, tf.float64) / mean_span_length), tf.int32)
    spans = tf.clip_by_value(spans, 1, padded - noise)
    noise_seed, kept_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    noise_lengths = _partition_tf(noise, spans, noise_seed)
    # Kept tokens fill spans + 1 gaps and the tail may be empty: partition one more token, take it back.
    kept_lengths = _partition_tf(padded - noise + 1, spans + 1, kept_seed) - tf.one_hot(spans, spans + 1, dtype=tf.int32)
    segments = tf.concat([tf.reshape(tf.stack([kept_lengths[:-1], noise_lengths], axis=1), [-1]), kept_lengths[-1:]], 0)
    is_noise = tf.equal(tf.range(2 * spans + 1) % 2, 1)
    return tf.repeat(is_noise, segments)[:length]


def corrupt_with_mask_tf(ids, mask, sentinel_ids):
    """`(inputs, targets)` for a given mask: `corrupt_with_mask` in TensorFlow ops.

    Args:
        ids: 1-D int tensor.
        mask: 1-D bool tensor of the same length.
        sentinel_ids: 1-D int tensor or list; at least spans + 1 ids, or the op fails
            with `SENTINEL_MESSAGE`.
    """
    import tensorflow as tf

    ids = tf.convert_to_tensor(ids)
    mask = tf.convert_to_tensor(mask, dtype=tf.bool)
    sentinels = tf.cast(tf.convert_to_tensor(sentinel_ids), ids.dtype)
    starts = tf.logical_and(mask, tf.logical_not(tf.concat([[False], mask], axis=0)[:-1]))
    span_index = tf.cumsum(tf.cast(starts, tf.int32)) - 1
    spans = tf.reduce_sum(tf.cast(starts, tf.int32))
    enough = tf.debugging.assert_less(spans, tf.size(sentinels), message=SENTINEL_MESSAGE)
    with tf.control_dependencies([enough]):
        span_sentinels = tf.gather(sentinels, tf.maximum(span_index, 0))
    inputs = tf.boolean_mask(tf.where(starts, span_sentinels, ids), tf.logical_or(tf.logical_not(mask), starts))
    pairs = tf.stack([span_sentinels, ids], axis=1)
    keep = tf.stack([starts, mask], axis=1)
    targets = tf.concat([tf.boolean_mask(pairs, keep), sentinels[spans : spans + 1]], axis=0)
    return inputs, targets


def span_corrupt_tf(ids, seed, sentinel_ids, noise_density=0.15, mean_span_length=3.0, targets="spans"):
    """`(inputs, targets)` of one 1-D int tensor of ids, its mask drawn from the stateless `seed`.

    With `targets="original"` the target is `ids` (as `span_corrupt`)."""
    import tensorflow as tf

    check_targets(targets)
    ids = tf.convert_to_tensor(ids)
    mask = noise_mask_tf(tf.size(ids), seed, noise_density, mean_span_length)
    inputs, spans = corrupt_with_mask_tf(ids, mask, sentinel_ids)
    return inputs, (spans if targets == "spans" else ids)


def corrupt_text_tf(text, seed, sentinels, noise_density=0.15, mean_span_length=3.0, targets="spans"):
    """`(input_text, target_text)`, scalar strings: the words of the scalar string `text` span-corrupted.

    As `kerazoo.data.span_corruption.corrupt_text`: words are whitespace-separated,
    and tokens are joined with single spaces.

    Args:
        text: scalar string tensor.
        seed: int tensor `(2,)`.
        sentinels: list of str, e.g. `sentinel_characters(64)` for a character-level model;
            enough for the longest text.
        targets: `"spans"` or `"original"`: the words of `text`, joined as the inputs are.
    """
    import tensorflow as tf

    words = tf.strings.split(text)
    count = tf.size(words)
    ids = tf.range(count)
    sentinel_ids = count + tf.range(len(sentinels))
    inputs, written = span_corrupt_tf(ids, seed, sentinel_ids, noise_density, mean_span_length, targets)
    tokens = tf.concat([words, tf.constant(list(sentinels), dtype=tf.string)], axis=0)

    def join(positions):
        return tf.strings.reduce_join(tf.gather(tokens, positions), separator=" ")

    return join(inputs), join(written)


def corrupt_dataset(dataset, sentinels, seed=0, noise_density=0.15, mean_span_length=3.0, epochs=None,
                    targets="spans"):
    """`dataset` with every element span-corrupted into `(inputs, targets)`, a fresh mask each epoch.

    The result runs through `dataset` `epochs` times (None: without end; fit it with
    `steps_per_epoch`). Element i of pass e draws its mask from the stateless seed
    `fold_in(fold_in((seed, 0), e), i)`, so the same `seed` gives the same stream,
    whatever the parallelism, and every pass has new masks.

    Args:
        dataset: a `tf.data.Dataset` of 1-D int tensors (ids) or of scalar strings (text, corrupted by words).
        sentinels: for ids, the sentinel ids (list of int); for text, the sentinel strings (list of str).
        seed: int.
        noise_density, mean_span_length: as in `span_corrupt`.
        epochs: int >= 1 or None.
        targets: `"spans"` (T5's) or `"original"`: the element itself, text with
            its words joined by single spaces, as in `corrupt_text`.

    Example:

        pairs = corrupt_dataset(tf.data.Dataset.from_tensor_slices(speeches),
                                sentinel_characters(64), seed=0)
    """
    import tensorflow as tf

    check_noise(noise_density, mean_span_length)
    check_integer("seed", seed)
    check_integer("epochs", epochs, minimum=1, allow_none=True)
    check_targets(targets)
    spec = dataset.element_spec
    if spec.dtype == tf.string and spec.shape.rank == 0:
        corrupt = corrupt_text_tf
    elif spec.dtype.is_integer and spec.shape.rank == 1:
        corrupt = span_corrupt_tf
    else:
        raise ValueError(
            "`dataset` must hold 1-D int tensors (ids) or scalar strings (text). Received: dataset with "
            f"element_spec={spec}"
        )
    root = tf.constant([seed, 0], dtype=tf.int64)

    def one_pass(epoch):
        pass_seed = tf.random.experimental.stateless_fold_in(root, epoch)
        return dataset.enumerate().map(
            lambda index, element: corrupt(
                element, tf.random.experimental.stateless_fold_in(pass_seed, index), sentinels, noise_density,
                mean_span_length, targets,
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )

    passes = tf.data.Dataset.range(epochs) if epochs is not None else tf.data.Dataset.counter()
    return passes.flat_map(one_pass)
