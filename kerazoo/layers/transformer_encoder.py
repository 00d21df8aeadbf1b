import keras

from kerazoo.layers.multi_head_attention import MultiHeadAttention
from kerazoo.layers.transformer_layer_utils import common_config
from kerazoo.layers.transformer_layer_utils import feed_forward
from kerazoo.layers.transformer_layer_utils import head_width
from kerazoo.layers.transformer_layer_utils import init_common
from kerazoo.layers.transformer_layer_utils import residual
from kerazoo.layers.transformer_layer_utils import sublayer_layers


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerEncoderBlock(keras.layers.Layer):
    """One encoder layer: self-attention, then a position-wise feed-forward network.

    Each of the two sublayers sits in a residual connection with dropout and
    layer normalisation, after it (post-LN, the paper's form) or before it
    (pre-LN, `normalize_first=True`, which trains deep stacks without warmup
    tricks).

    Args:
        num_heads: int. Attention heads; the input width must divide by it.
        intermediate_dim: int. The feed-forward hidden width, d_ff.
        dropout: float. Dropout on attention weights and on each sublayer's output.
        activation: the feed-forward activation ("relu" in the paper, "gelu" in GPT).
        normalize_first: bool. Pre-LN when True, post-LN when False.
        layer_norm_epsilon: float.
        use_bias: bool. Biases in the dense layers and layer norms.
        kernel_initializer: initializer of the dense kernels.
        output_kernel_initializer: initializer of the kernels that write into the
            residual stream (W^O and the second feed-forward layer); None is
            `kernel_initializer`.

    Call arguments:
        inputs: float `(batch, time, width)`.
        padding_mask: `(batch, time)`, True (or 1) at real tokens.
        attention_mask: bool `(batch, time, time)`.
        return_attention_scores: bool. Also return the weights `(batch, heads, time, time)`.
        training: bool.

    Reference:
        Vaswani et al., "Attention Is All You Need", 2017, section 3.1.
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="relu",
        normalize_first=False,
        layer_norm_epsilon=1e-5,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        output_kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        init_common(self, num_heads, intermediate_dim, dropout, activation, normalize_first,
                    layer_norm_epsilon, use_bias, kernel_initializer, output_kernel_initializer)

    def build(self, inputs_shape):
        width = inputs_shape[-1]
        self.self_attention = MultiHeadAttention(
            self.num_heads,
            head_width(width, self.num_heads),
            dropout=self.dropout,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            output_kernel_initializer=self.output_kernel_initializer,
            name="self_attention",
            dtype=self.dtype_policy,
        )
        self.self_attention.build(inputs_shape)
        self.self_attention_norm, self.self_attention_dropout = sublayer_layers(
            self, "self_attention", inputs_shape
        )
        self.feedforward_intermediate, self.feedforward_output = feed_forward(self, width)
        self.feedforward_intermediate.build(inputs_shape)
        self.feedforward_output.build(tuple(inputs_shape[:-1]) + (self.intermediate_dim,))
        self.feedforward_norm, self.feedforward_dropout = sublayer_layers(self, "feedforward", inputs_shape)

    def call(self, inputs, padding_mask=None, attention_mask=None, return_attention_scores=False, training=None):
        def attend(x):
            out = self.self_attention(
                x,
                padding_mask=padding_mask,
                attention_mask=attention_mask,
                return_attention_scores=return_attention_scores,
                training=training,
            )
            return out if return_attention_scores else (out, None)

        x, scores = residual(self, inputs, self.self_attention_norm, self.self_attention_dropout, attend, training)
        x, _ = residual(
            self,
            x,
            self.feedforward_norm,
            self.feedforward_dropout,
            lambda h: (self.feedforward_output(self.feedforward_intermediate(h)), None),
            training,
        )
        return (x, scores) if return_attention_scores else x

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(common_config(self))
        return config
