"""Data-parallel training on the engines that exist: tf.distribute and keras.distribution.

`kerazoo train --distribute NAME` builds, compiles and fits the model inside
`distribution_scope(NAME)`. Every replica holds the whole model and a slice of
each global batch; gradients are summed across replicas, so a run on N devices
follows the same loss curve as one device with the same global batch.

| NAME           | TensorFlow backend                               | JAX backend |
| -------------- | ------------------------------------------------ | ----------- |
| `none`         | the default device                               | the default device |
| `mirrored`     | `tf.distribute.MirroredStrategy` (local devices) | `keras.distribution.DataParallel` over local devices |
| `multi-worker` | `tf.distribute.MultiWorkerMirroredStrategy`, cluster from `TF_CONFIG` | `keras.distribution.initialize()` (cluster from `KERAS_DISTRIBUTION_*`), then `DataParallel` over every process's devices |

TensorFlow is imported only inside `distribution_scope`, so `import kerazoo` keeps
working on JAX without it. docs/backends.md shows how to launch on several machines.
"""

import contextlib

import keras

from kerazoo.models.family import DISTRIBUTE_CHOICES


def check_distribute(distribute):
    if distribute not in DISTRIBUTE_CHOICES:
        raise ValueError(f"`distribute` must be one of {list(DISTRIBUTE_CHOICES)}. Received: distribute={distribute!r}")


@contextlib.contextmanager
def distribution_scope(distribute="none"):
    """Yields the number of replicas that share each global batch (1 for `none`).

    Create the model, compile it and call `fit` inside the scope. For
    `multi-worker`, enter the scope before any other TensorFlow or JAX work:
    both engines must configure their collectives at program start.

    Args:
        distribute: str. `"none"`, `"mirrored"` or `"multi-worker"`.
    """
    check_distribute(distribute)
    if distribute == "none":
        yield 1
        return
    backend = keras.backend.backend()
    if backend == "tensorflow":
        # TensorFlow stays in kerazoo/data; the strategy shards the tf.data input there too.
        from kerazoo.data.tf_distribute import tf_strategy

        strategy = tf_strategy(distribute)
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    elif backend == "jax":
        if distribute == "multi-worker":
            # Joins the cluster named by KERAS_DISTRIBUTION_JOB_ADDRESSES,
            # KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID.
            keras.distribution.initialize()
        devices = keras.distribution.list_devices()
        distribution = keras.distribution.DataParallel(devices=devices)
        with distribution.scope():
            yield len(devices)
    else:
        raise ValueError(
            f"`distribute={distribute!r}` needs the tensorflow or jax backend. Received backend: {backend!r}"
        )
