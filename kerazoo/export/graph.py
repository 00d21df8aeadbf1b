"""Tracing a Python function into a TensorFlow graph, the step export takes.

`kerazoo.generation` compiles its decoding loop with this on the TensorFlow
backend; TensorFlow is imported here, inside the function, so that
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
