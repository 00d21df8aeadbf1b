import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerazoo")
class ScalarMix(keras.layers.Layer):
    """ELMo's task-specific weighting of layers: ELMo = γ Σ_j s_j h_j with s = softmax(w).

    The L + 1 layers h_0 ... h_L of a biLM (h_0 the token encoding) are mixed
    with softmax-normalised scalar weights s and scaled by γ. Both w and γ are
    learned for each downstream task while the biLM stays frozen.

    Args:
        scalar_initializer: initializer of w (zeros: an equal mix).
        gamma_initializer: initializer of γ (ones).

    Call arguments:
        inputs: a list of float tensors of one shape, the layers h_j.

    Returns:
        A float tensor of that shape.

    Example:

    >>> layers = [np.ones((2, 5, 8), "float32") * j for j in range(3)]
    >>> float(ScalarMix()(layers)[0, 0, 0])  # (0 + 1 + 2) / 3
    1.0

    Reference:
        Peters et al., "Deep contextualized word representations", NAACL 2018,
        equation 1.
    """

    def __init__(self, scalar_initializer="zeros", gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.scalar_initializer = keras.initializers.get(scalar_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"`ScalarMix` takes a list of tensors. Received: input_shape={input_shape}")
        shapes = {tuple(shape) for shape in input_shape}
        if len({shape[1:] for shape in shapes}) > 1:
            raise ValueError(f"Every layer given to `ScalarMix` must have one shape. Received: {list(input_shape)}")
        self.scalar_weights = self.add_weight(
            name="scalar_weights", shape=(len(input_shape),), initializer=self.scalar_initializer
        )
        self.gamma = self.add_weight(name="gamma", shape=(), initializer=self.gamma_initializer)

    def call(self, inputs):
        weights = ops.softmax(ops.cast(self.scalar_weights, "float32"))
        mixed = sum(ops.cast(weights[j], inputs[j].dtype) * inputs[j] for j in range(len(inputs)))
        return ops.cast(self.gamma, mixed.dtype) * mixed

    def mixing_weights(self):
        """s = softmax(w), as a NumPy array."""
        return ops.convert_to_numpy(ops.softmax(self.scalar_weights))

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "scalar_initializer": keras.initializers.serialize(self.scalar_initializer),
                "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
            }
        )
        return config
