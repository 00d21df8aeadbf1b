import keras
from keras import ops

from kerazoo.utils.arguments import check_integer


@keras.saving.register_keras_serializable(package="kerazoo")
class AdditiveAttention(keras.layers.Layer):
    """Bahdanau's additive attention: e_j = v^T tanh(W s + U h_j), alpha = softmax(e), c = sum_j alpha_j h_j.

    `s` is the decoder state before the step and `h_j` are the encoder
    outputs. `U h_j` does not depend on the step, so `project_keys` computes
    it once per source sentence and every step reuses it.

    Args:
        units: int. The width of the scoring layer (the size of v).

    Call arguments:
        query: float `(batch, query_width)`, the decoder state s_{i-1}.
        keys: float `(batch, S, key_width)`, the encoder outputs h_j.
        projected_keys: float `(batch, S, units)` from `project_keys`, or None.
        key_mask: bool `(batch, S)`, True at real source positions.

    Returns:
        (context `(batch, key_width)`, weights `(batch, S)`).

    Reference:
        Bahdanau, Cho & Bengio, "Neural Machine Translation by Jointly Learning
        to Align and Translate", 2015, section 3.1 and appendix A.1.2.
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        check_integer("units", units, minimum=1)
        self.units = units

    def build(self, query_shape, keys_shape):
        self.query_dense = keras.layers.Dense(self.units, use_bias=False, name="query_projection", dtype=self.dtype_policy)
        self.query_dense.build(query_shape)
        self.key_dense = keras.layers.Dense(self.units, use_bias=True, name="key_projection", dtype=self.dtype_policy)
        self.key_dense.build(keys_shape)
        self.score_vector = self.add_weight(name="score_vector", shape=(self.units,), initializer="glorot_uniform")

    def project_keys(self, keys):
        return self.key_dense(keys)

    def call(self, query, keys, projected_keys=None, key_mask=None):
        if projected_keys is None:
            projected_keys = self.key_dense(keys)
        hidden = ops.tanh(projected_keys + ops.expand_dims(self.query_dense(query), 1))
        scores = ops.cast(ops.einsum("bsu,u->bs", hidden, self.score_vector), "float32")
        if key_mask is not None:
            scores = ops.where(ops.cast(key_mask, "bool"), scores, -1e9)
        weights = ops.softmax(scores, axis=-1)
        context = ops.einsum("bs,bsk->bk", ops.cast(weights, keys.dtype), keys)
        return context, weights

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config
