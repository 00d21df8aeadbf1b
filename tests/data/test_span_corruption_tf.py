import numpy as np
import pytest

from kerazoo.data.span_corruption import corrupt_with_mask
from kerazoo.data.span_corruption import fill_spans
from kerazoo.data.span_corruption import fill_text
from kerazoo.data.span_corruption import random_noise_mask
from kerazoo.data.span_corruption import sentinel_characters
from kerazoo.data.span_corruption import sentinel_names
from kerazoo.data.span_corruption import span_counts
from kerazoo.data.span_corruption import span_starts
from kerazoo.data.span_corruption import to_sentinel_names

tf = pytest.importorskip("tensorflow")

from kerazoo.data.span_corruption_tf import corrupt_dataset  # noqa: E402
from kerazoo.data.span_corruption_tf import corrupt_text_tf  # noqa: E402
from kerazoo.data.span_corruption_tf import corrupt_with_mask_tf  # noqa: E402
from kerazoo.data.span_corruption_tf import noise_mask_tf  # noqa: E402
from kerazoo.data.span_corruption_tf import span_corrupt_tf  # noqa: E402


def seed(a, b=0):
    return tf.constant([a, b], dtype=tf.int64)


def test_the_tf_corruption_of_a_given_mask_equals_the_numpy_one():
    rng = np.random.default_rng(0)
    for length in [1, 2, 5, 40, 200]:
        for draw in range(5):
            ids = rng.integers(0, 100, size=length).astype(np.int32)
            mask = rng.random(length) < 0.3 if draw else random_noise_mask(length, seed=draw)
            expected = corrupt_with_mask(ids, mask, np.arange(100, 200))
            got = corrupt_with_mask_tf(ids, mask, np.arange(100, 200))
            for want, have in zip(expected, got):
                np.testing.assert_array_equal(have.numpy(), want)


def test_tf_masks_have_the_numpy_counts_start_kept_and_depend_only_on_the_seed():
    for length in [0, 1, 2, 3, 10, 77, 500, 1000]:
        for draw in range(4):
            mask = noise_mask_tf(length, seed(draw, length)).numpy()
            noise, spans = span_counts(length)
            assert mask.shape == (length,) and mask.sum() == noise and span_starts(mask).sum() == spans
            assert length == 0 or not mask[0]
    np.testing.assert_array_equal(noise_mask_tf(300, seed(5)), noise_mask_tf(300, seed(5)))
    assert not np.array_equal(noise_mask_tf(300, seed(5)), noise_mask_tf(300, seed(6)))


def test_tf_span_corruption_rebuilds_the_original_and_inside_a_graph():
    sentinels = np.arange(1000, 1100)
    ids = np.arange(300)
    inputs, targets = span_corrupt_tf(ids, seed(1), sentinels)
    np.testing.assert_array_equal(fill_spans(inputs.numpy(), targets.numpy(), sentinels), ids)
    corrupt = tf.function(lambda text, s: corrupt_text_tf(text, s, sentinel_names(8)))
    text = "Thank you for inviting me to your party last week."
    inputs, targets = (t.numpy().decode() for t in corrupt(tf.constant(text), seed(2)))
    assert fill_text(inputs, targets) == text and inputs.count("<") == 1 and targets.endswith("<Y>")


def test_too_few_sentinels_fail_the_op_with_the_message():
    with pytest.raises(tf.errors.InvalidArgumentError, match="`sentinel_ids` must hold one id for each noise span"):
        span_corrupt_tf(tf.range(100), seed(0), [1000, 1001])


def test_a_corrupted_dataset_draws_fresh_masks_each_pass_and_the_same_stream_from_the_same_seed():
    speeches = ["If music be the food of love, play on; Give me excess of it, that, surfeiting,",
                "The appetite may sicken, and so die. That strain again! it had a dying fall:"]
    dataset = tf.data.Dataset.from_tensor_slices(speeches)
    characters = sentinel_characters(10)

    def pairs(seed):
        return [(a.decode(), b.decode()) for a, b in corrupt_dataset(dataset, characters, seed, epochs=3).as_numpy_iterator()]

    stream = pairs(3)
    assert len(stream) == 6 and stream == pairs(3)
    for i, (inputs, targets) in enumerate(stream):
        assert fill_text(inputs, targets, characters) == speeches[i % 2]
        assert to_sentinel_names(targets).startswith("<X> ")
    # Each speech gets a new mask in each pass (3 passes, 2 speeches: at least one differs per speech).
    assert len({stream[0], stream[2], stream[4]}) > 1 and len({stream[1], stream[3], stream[5]}) > 1
    assert pairs(4) != stream


def test_original_targets_pair_the_same_inputs_with_the_element_itself():
    speeches = ["If  music be the food of love, play on;", "Give me excess of it, that, surfeiting,"]
    characters = sentinel_characters(4)
    texts = tf.data.Dataset.from_tensor_slices(speeches)
    spans = list(corrupt_dataset(texts, characters, seed=2, epochs=2).as_numpy_iterator())
    original = list(corrupt_dataset(texts, characters, seed=2, epochs=2, targets="original").as_numpy_iterator())
    # The same masks; the target is the text, its words joined by single spaces as the inputs' are.
    assert [a for a, _ in original] == [a for a, _ in spans]
    assert [b.decode() for _, b in original] == [" ".join(s.split()) for s in speeches] * 2
    ids = tf.data.Dataset.from_tensor_slices(np.arange(40).reshape(2, 20))
    for row, (inputs, targets) in enumerate(corrupt_dataset(ids, list(range(100, 110)), epochs=1, targets="original")):
        assert (inputs.numpy() >= 100).any()
        np.testing.assert_array_equal(targets.numpy(), np.arange(20) + 20 * row)
    with pytest.raises(ValueError, match="`targets` must be one of .*Received: targets='spans and original'"):
        corrupt_dataset(ids, [1, 2], targets="spans and original")


def test_a_dataset_of_ids_is_corrupted_with_sentinel_ids_and_others_are_refused():
    dataset = tf.data.Dataset.from_tensor_slices(np.arange(40).reshape(2, 20))
    for row, (inputs, targets) in enumerate(corrupt_dataset(dataset, list(range(100, 110)), seed=0, epochs=1)):
        np.testing.assert_array_equal(fill_spans(inputs.numpy(), targets.numpy(), range(100, 110)),
                                      np.arange(20) + 20 * row)
    with pytest.raises(ValueError, match=r"`dataset` must hold 1-D int tensors \(ids\) or scalar strings"):
        corrupt_dataset(tf.data.Dataset.from_tensor_slices(np.zeros((2, 3), np.float32)), [1, 2])
    with pytest.raises(ValueError, match="`epochs` must be an integer >= 1 or None. Received: epochs=0"):
        corrupt_dataset(dataset, [1, 2], epochs=0)
