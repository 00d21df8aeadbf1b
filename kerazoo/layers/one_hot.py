import keras
from keras import ops

from kerazoo.utils.arguments import check_integer


@keras.saving.register_keras_serializable(package="kerazoo")
class OneHot(keras.layers.Layer):
    """Turns integer token ids into one-hot vectors, as char-rnn feeds its RNN.

    Args:
        vocabulary_size: int. The length of each one-hot vector.

    Call arguments:
        token_ids: int tensor of shape `(batch, time)`.

    Returns:
        A float tensor of shape `(batch, time, vocabulary_size)`.

    Example:

    >>> OneHot(4)(np.array([[1, 3]])).shape
    (1, 2, 4)
    """

    def __init__(self, vocabulary_size, **kwargs):
        super().__init__(**kwargs)
        check_integer("vocabulary_size", vocabulary_size, minimum=1)
        self.vocabulary_size = vocabulary_size

    def call(self, token_ids):
        return ops.one_hot(ops.cast(token_ids, "int32"), self.vocabulary_size, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.vocabulary_size,)

    def get_config(self):
        config = super().get_config()
        config.update({"vocabulary_size": self.vocabulary_size})
        return config
