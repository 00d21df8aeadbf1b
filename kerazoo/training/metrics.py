import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerazoo")
class BitsPerCharacter(keras.metrics.Mean):
    """Mean next-token cross-entropy in bits: loss in nats / ln 2.

    Args:
        from_logits: bool. Whether predictions are logits.
    """

    def __init__(self, name="bpc", from_logits=True, **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits = from_logits

    def update_state(self, y_true, y_pred, sample_weight=None):
        nats = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)
        return super().update_state(ops.divide(nats, math.log(2.0)), sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}
