"""Tracing a Python function into a TensorFlow graph, for the decoding loop on the TensorFlow backend.

`kerazoo.generation` compiles its loop with this; it lives in `kerazoo.data`,
the lowest layer that may touch TensorFlow, so that generation never imports
the export layer above it. TensorFlow is imported inside the function, so
`import kerazoo` never needs it.
"""


def tf_function(fn, input_signature):
    """`tf.function(fn)` traced once for every input of the given specs.

    Args:
        fn: a callable of tensors.
        input_signature: a list of `(shape, dtype)` pairs; None in a shape is
            any size, so new batch sizes or lengths do not retrace.
    """
    import tensorflow as tf

    specs = [tf.TensorSpec(shape, dtype) for shape, dtype in input_signature]
    return tf.function(fn, input_signature=specs)
