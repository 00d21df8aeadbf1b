"""The toy family's model: a unigram over bytes, p(byte) = softmax(b), the same at every position."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerazoo_toy")
class ByteUnigram(keras.Model):
    def __init__(self, vocabulary_size, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.bias = self.add_weight(shape=(vocabulary_size,), initializer="zeros", name="bias")
        self.built = True  # its one weight does not depend on the input shape

    def call(self, token_ids):
        shape = ops.shape(token_ids)
        return ops.broadcast_to(self.bias, (shape[0], shape[1], self.vocabulary_size))

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size}


def build_byte_unigram(vocabulary_size):
    """A unigram model of bytes: one logit per byte value, whatever came before."""
    return ByteUnigram(vocabulary_size, name="byte_unigram")
