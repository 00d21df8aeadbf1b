"""Next-character training pairs as tf.data or NumPy batches.

The text is cut into non-overlapping windows of `seq_length + 1` ids, as
char-rnn does; each window gives inputs `ids[:-1]` and targets `ids[1:]`.
With `sampling="random"` every training window starts at a random
character instead, as nanoGPT draws its batches.
With TensorFlow installed the windows go through tf.data (cache, shuffle,
batch, prefetch). Without it, `NumpyBatches`, a `keras.utils.PyDataset`,
serves the same pairs, so training runs on the JAX backend with no TensorFlow.
"""

import numpy as np
import keras


def make_windows(ids, seq_length):
    """Cuts `ids` into `(inputs, targets)` arrays of shape `(n, seq_length)`."""
    if seq_length < 1:
        raise ValueError(f"`seq_length` must be >= 1. Received: seq_length={seq_length}")
    ids = np.asarray(ids, dtype=np.int32)
    count = (len(ids) - 1) // seq_length
    if count < 1:
        raise ValueError(
            f"The text ({len(ids)} characters) is too short for one window of "
            f"`seq_length`={seq_length} plus a target."
        )
    end = count * seq_length
    inputs = ids[:end].reshape(count, seq_length)
    targets = ids[1 : end + 1].reshape(count, seq_length)
    return inputs, targets


class NumpyBatches(keras.utils.PyDataset):
    """Shuffled `(inputs, targets)` batches from NumPy arrays, for any backend.

    Args:
        inputs, targets: int32 arrays of shape `(n, seq_length)`.
        batch_size: int.
        shuffle: bool. Reshuffle the windows on every pass.
        repeat: bool. Serve batches forever (for `steps_per_epoch`).
        seed: int or None.
    """

    def __init__(self, inputs, targets, batch_size, shuffle=True, repeat=False, seed=None):
        super().__init__()
        self.inputs, self.targets = inputs, targets
        self.batch_size = batch_size
        self.shuffle, self.repeat = shuffle, repeat
        self._rng = np.random.default_rng(seed)
        # Training drops the last partial batch; evaluation keeps every window.
        if shuffle:
            self._batches_per_pass = max(1, len(inputs) // batch_size)
        else:
            self._batches_per_pass = -(-len(inputs) // batch_size)
        self._pass = -1
        self._order = None
        self._epoch = 0

    @property
    def num_batches(self):
        return None if self.repeat else self._batches_per_pass

    def _order_for(self, pass_index):
        if pass_index != self._pass:
            self._pass = pass_index
            count = len(self.inputs)
            self._order = self._rng.permutation(count) if self.shuffle else np.arange(count)
        return self._order

    def on_epoch_end(self):
        # Keras restarts the indices each epoch; a new pass index gives a new order.
        self._epoch += 1

    def __getitem__(self, index):
        pass_index, position = divmod(index, self._batches_per_pass)
        pass_index += self._epoch * (1 << 20)
        order = self._order_for(pass_index)
        rows = order[position * self.batch_size : (position + 1) * self.batch_size]
        return self.inputs[rows], self.targets[rows]


class RandomWindowBatches(keras.utils.PyDataset):
    """Endless batches of windows that start at uniformly random characters (nanoGPT's `get_batch`).

    Args:
        ids: int32 array, the encoded text.
        seq_length, batch_size: ints.
        seed: int or None.
    """

    def __init__(self, ids, seq_length, batch_size, seed=None):
        super().__init__()
        self.ids = np.asarray(ids, dtype=np.int32)
        self.seq_length, self.batch_size = seq_length, batch_size
        self.seed = seed
        self._span = np.arange(seq_length + 1)

    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        # Batch `index` is a pure function of (seed, index): workers and resumes agree.
        rng = np.random.default_rng([self.seed or 0, index])
        starts = rng.integers(0, len(self.ids) - self.seq_length, size=self.batch_size)
        windows = self.ids[starts[:, None] + self._span]
        return windows[:, :-1], windows[:, 1:]


def _random_windows_tf(ids, seq_length, batch_size, seed):
    import tensorflow as tf

    ids = tf.constant(np.asarray(ids, dtype=np.int32))
    limit = tf.cast(tf.size(ids) - seq_length, tf.int64)
    span = tf.range(seq_length + 1)

    def windows(random):
        starts = tf.cast(tf.math.floormod(random, limit), tf.int32)
        batch = tf.gather(ids, starts[:, None] + span[None, :])
        return batch[:, :-1], batch[:, 1:]

    dataset = tf.data.Dataset.random(seed=seed).batch(batch_size).map(windows)
    return dataset.prefetch(tf.data.AUTOTUNE)


def check_enough_windows(count, seq_length, batch_size, source):
    """Training drops partial batches, so a `source` of fewer windows than `batch_size` gives no batch at all."""
    if count < batch_size:
        raise ValueError(
            f"The {source} gives {count} windows of `seq_length`={seq_length}, fewer than "
            f"`batch_size`={batch_size}. Use a smaller batch_size or seq_length, or more text."
        )


def batch_windows_tf(dataset, count, batch_size, shuffle, repeat, seed):
    """Batches a `tf.data.Dataset` of `count` windows.

    Training (`shuffle`) reshuffles the windows on every pass and drops the
    last partial batch; evaluation keeps the order and every window. `repeat`
    serves them forever, for `fit(steps_per_epoch=...)`.
    """
    if shuffle:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    return dataset.batch(batch_size, drop_remainder=shuffle)


def _use_tf_data(backend):
    if backend == "auto":
        return keras.backend.backend() == "tensorflow"
    if backend not in ("tf", "numpy"):
        raise ValueError(
            f"`pipeline` must be 'auto', 'tf' or 'numpy'. Received: pipeline={backend!r}"
        )
    return backend == "tf"


def make_dataset(
    ids, seq_length, batch_size, shuffle=True, repeat=False, seed=None, pipeline="auto", sampling="windows"
):
    """Batches of `(inputs, targets)` next-character pairs.

    Args:
        ids: int array. The encoded text.
        seq_length: int. Characters per training window.
        batch_size: int.
        shuffle: bool. Shuffle windows (training) or keep text order (evaluation).
        repeat: bool. Repeat forever, for `fit(steps_per_epoch=...)`.
        seed: int or None. Shuffle seed.
        pipeline: str. `"tf"` (tf.data), `"numpy"` (`NumpyBatches`), or
            `"auto"`: tf.data on the TensorFlow backend, NumPy elsewhere.
        sampling: str. `"windows"`: the non-overlapping windows above;
            `"random"`: endless batches of windows at random starts (training
            only: `shuffle` and `repeat` are implied).

    Returns:
        A `tf.data.Dataset` or a `NumpyBatches`.
    """
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1. Received: batch_size={batch_size}")
    if sampling not in ("windows", "random"):
        raise ValueError(f"`sampling` must be 'windows' or 'random'. Received: sampling={sampling!r}")
    inputs, targets = make_windows(ids, seq_length)
    if sampling == "random":
        if _use_tf_data(pipeline):
            return _random_windows_tf(ids, seq_length, batch_size, seed)
        return RandomWindowBatches(ids, seq_length, batch_size, seed)
    if shuffle:
        check_enough_windows(len(inputs), seq_length, batch_size, "text")
    if not _use_tf_data(pipeline):
        return NumpyBatches(inputs, targets, batch_size, shuffle, repeat, seed)

    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets)).cache()
    dataset = batch_windows_tf(dataset, len(inputs), batch_size, shuffle, repeat, seed)
    return dataset.prefetch(tf.data.AUTOTUNE)
