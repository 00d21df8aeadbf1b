import numpy as np
import pytest

from kerazoo.data.pipeline import make_dataset
from kerazoo.data.pipeline import make_windows


def test_targets_are_inputs_shifted_by_one():
    ids = np.arange(23, dtype=np.int32)
    inputs, targets = make_windows(ids, 5)
    assert inputs.shape == (4, 5)
    np.testing.assert_array_equal(targets, inputs + 1)
    np.testing.assert_array_equal(inputs.reshape(-1), ids[:20])


def _rows(dataset, steps):
    seen = []
    for step, (x, y) in enumerate(dataset):
        if step == steps:
            break
        x, y = np.asarray(x), np.asarray(y)
        np.testing.assert_array_equal(y, x + 1)
        seen.extend(map(tuple, x))
    return seen


@pytest.mark.parametrize("pipeline", ["tf", "numpy"])
def test_one_pass_serves_every_window_once(pipeline):
    ids = np.arange(4 * 6 * 3 + 1, dtype=np.int32)  # 12 windows of 6, batches of 4
    dataset = make_dataset(ids, 6, 4, shuffle=True, repeat=True, seed=1, pipeline=pipeline)
    rows = _rows(dataset if pipeline == "tf" else (dataset[i] for i in range(100)), 3)
    expected = set(map(tuple, make_windows(ids, 6)[0]))
    assert sorted(rows) == sorted(expected)


def test_numpy_batches_reshuffle_between_epochs():
    ids = np.arange(64 * 4 + 1, dtype=np.int32)
    dataset = make_dataset(ids, 4, 8, shuffle=True, seed=0, pipeline="numpy")
    first = np.concatenate([dataset[i][0] for i in range(dataset.num_batches)])
    dataset.on_epoch_end()
    second = np.concatenate([dataset[i][0] for i in range(dataset.num_batches)])
    assert sorted(map(tuple, first)) == sorted(map(tuple, second))
    assert not np.array_equal(first, second)


def test_numpy_evaluation_batches_keep_order_and_the_last_partial_batch():
    ids = np.arange(5 * 4 + 1, dtype=np.int32)
    dataset = make_dataset(ids, 4, 2, shuffle=False, pipeline="numpy")
    assert dataset.num_batches == 3
    x, _ = dataset[2]
    np.testing.assert_array_equal(x, [[16, 17, 18, 19]])


def test_bad_sizes_name_the_argument():
    with pytest.raises(ValueError, match="seq_length"):
        make_windows(np.arange(10), 0)
    with pytest.raises(ValueError, match="batch_size"):
        make_dataset(np.arange(10), 2, 0)
    with pytest.raises(ValueError, match="too short"):
        make_windows(np.arange(3), 5)


def test_too_few_windows_for_one_training_batch():
    with pytest.raises(ValueError, match="`batch_size`=8"):
        make_dataset(np.arange(30), 5, 8, shuffle=True)


@pytest.mark.parametrize("pipeline", ["tf", "numpy"])
def test_random_windows_are_next_character_pairs_at_varied_starts(pipeline):
    ids = np.arange(1000, dtype=np.int32)  # id = position, so a window reveals its start
    dataset = make_dataset(ids, 16, 8, seed=3, pipeline=pipeline, sampling="random")
    starts = []
    for step, (inputs, targets) in enumerate(dataset):
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        np.testing.assert_array_equal(targets, inputs + 1)
        np.testing.assert_array_equal(inputs, inputs[:, :1] + np.arange(16))
        starts.extend(inputs[:, 0].tolist())
        if step == 24:
            break
    # Not the fixed multiples of 16 of the window sampler, and spread over the text.
    assert len({s % 16 for s in starts}) > 8 and max(starts) > 800 and max(starts) <= 1000 - 17


def test_unknown_sampling_is_refused():
    with pytest.raises(ValueError, match="sampling='shuffled'"):
        make_dataset(np.arange(100), 8, 2, sampling="shuffled")
