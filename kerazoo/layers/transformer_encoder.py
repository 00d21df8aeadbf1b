import keras

from kerazoo.layers.multi_head_attention import with_optional_outputs
from kerazoo.layers.transformer_block import TransformerBlock


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerEncoderBlock(TransformerBlock):
    """One encoder layer: self-attention, then a position-wise feed-forward network.

    Each of the two sublayers sits in a residual connection with dropout and
    layer normalisation, after it (post-LN, the paper's form) or before it
    (pre-LN, `normalize_first=True`, which trains deep stacks without warmup
    tricks).

    Args: those of `TransformerBlock` (kerazoo/layers/transformer_block.py).

    Call arguments:
        inputs: float `(batch, time, width)`.
        padding_mask: `(batch, time)`, True (or 1) at real tokens.
        attention_mask: bool `(batch, time, time)`.
        return_attention_scores: bool. Also return the weights `(batch, heads, time, time)`.
        training: bool.

    Reference:
        Vaswani et al., "Attention Is All You Need", 2017, section 3.1.
    """

    def build(self, inputs_shape):
        self._build_attention("self_attention", inputs_shape)
        self._build_feedforward(inputs_shape)

    def call(self, inputs, padding_mask=None, attention_mask=None, return_attention_scores=False, training=None):
        x, scores, _ = self._attention_sublayer(
            "self_attention",
            inputs,
            training,
            return_attention_scores,
            padding_mask=padding_mask,
            attention_mask=attention_mask,
        )
        return with_optional_outputs(self._feedforward_sublayer(x, training), scores)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape
