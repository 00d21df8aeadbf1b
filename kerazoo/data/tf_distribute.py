"""tf.distribute strategies for `kerazoo.training.distribute`, kept here with the other TensorFlow code.

TensorFlow is imported inside the functions, so `import kerazoo` never needs it.
"""


def tf_strategy(distribute):
    """`MirroredStrategy` for "mirrored", `MultiWorkerMirroredStrategy` (cluster from TF_CONFIG) otherwise."""
    import tensorflow as tf

    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    _patch_multi_worker_reduce(strategy, tf)
    return strategy


def _patch_multi_worker_reduce(strategy, tf):
    """Lets Keras 3.15's TF trainer run under `MultiWorkerMirroredStrategy`.

    That trainer calls `strategy.reduce` on a whole `(inputs, targets)` batch, and
    on scalar metrics with `axis=0`; this strategy reduces one value at a time and
    has no axis 0 in a scalar. Per value, scalars are averaged across replicas.
    """
    reduce_one = strategy.reduce

    def reduce(op, value, axis=None):
        if isinstance(value, (tuple, list, dict)):
            return tf.nest.map_structure(lambda v: reduce(op, v, axis), value)
        local = strategy.experimental_local_results(value)[0]
        if axis is not None and len(local.shape) == 0:
            axis = None
        return reduce_one(op, value, axis)

    strategy.reduce = reduce


def per_worker_dataset(make_dataset):
    """Each worker's own batches, one per replica and step, under the multi-worker strategy in scope.

    `experimental_distribute_dataset`, which Keras applies to a plain dataset,
    takes each element for a global batch and splits it across the replicas;
    a worker that streams its own shards instead makes whole per-replica
    batches, so a step's global batch is `batch_size * num_replicas`.

    Args:
        make_dataset: function () -> `tf.data.Dataset` of this worker's batches,
            called once on each worker.
    """
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    options = tf.distribute.InputOptions(experimental_fetch_to_device=False)
    return strategy.distribute_datasets_from_function(lambda context: make_dataset(), options)


def current_worker():
    """`(worker_index, num_workers)` of the tf.distribute strategy in scope; `(0, 1)` without one.

    A multi-worker strategy numbers its workers from its cluster (TF_CONFIG); a
    streamed corpus gives worker i the shards i, i + N, ... of N. TensorFlow is
    only looked at when something already imported it.
    """
    import sys

    if "tensorflow" not in sys.modules:
        return 0, 1
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return 0, 1
    resolver = getattr(tf.distribute.get_strategy(), "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return 0, 1
    workers = len(resolver.cluster_spec().as_dict().get("worker", [])) or 1
    return int(resolver.task_id or 0), workers
