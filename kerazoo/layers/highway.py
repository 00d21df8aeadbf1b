import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerazoo")
class Highway(keras.layers.Layer):
    """One highway layer: y = t ⊙ g(W_H x + b_H) + (1 − t) ⊙ x, with t = σ(W_T x + b_T).

    The transform gate t decides, per feature, how much of the nonlinear
    transform replaces the input; the rest of the input is carried through.
    The gate's bias starts negative (−2, as in ELMo and the paper's advice),
    so a new layer starts close to the identity.

    Args:
        activation: str or callable, the nonlinearity g (ELMo: relu).
        gate_bias_initializer: initializer of b_T; −2 by default.
        kernel_initializer: initializer of W_H and W_T.

    Call arguments:
        inputs: float tensor `(..., width)`.

    Returns:
        float tensor shaped like `inputs`.

    Example:

    >>> Highway()(np.ones((2, 3, 8), "float32")).shape
    (2, 3, 8)

    Reference:
        Srivastava, Greff & Schmidhuber, "Training Very Deep Networks",
        NeurIPS 2015, equation 3.
    """

    def __init__(self, activation="relu", gate_bias_initializer=None, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.gate_bias_initializer = keras.initializers.get(
            gate_bias_initializer if gate_bias_initializer is not None else keras.initializers.Constant(-2.0)
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        width = input_shape[-1]
        if width is None:
            raise ValueError(f"The last axis of the input must be known. Received: input_shape={input_shape}")
        self.transform = keras.layers.Dense(
            width, kernel_initializer=self.kernel_initializer, name="transform", dtype=self.dtype_policy
        )
        self.transform.build(input_shape)
        self.gate = keras.layers.Dense(
            width,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.gate_bias_initializer,
            name="gate",
            dtype=self.dtype_policy,
        )
        self.gate.build(input_shape)

    def call(self, inputs):
        gate = ops.sigmoid(self.gate(inputs))
        return gate * self.activation(self.transform(inputs)) + (1.0 - gate) * inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "activation": keras.activations.serialize(self.activation),
                "gate_bias_initializer": keras.initializers.serialize(self.gate_bias_initializer),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
