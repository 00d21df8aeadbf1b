"""A vocabulary as a TensorFlow lookup table, for the graphs of SavedModel signatures (TensorFlow inside the function)."""


def token_table(vocabulary):
    """A `tf.lookup.StaticHashTable` from each unit of `vocabulary` (`tokens[1:]`) to its id; unknown units -> 0."""
    import tensorflow as tf

    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(vocabulary.tokens[1:], dtype=tf.string),
            tf.range(1, vocabulary.size, dtype=tf.int32),
        ),
        default_value=0,
    )
