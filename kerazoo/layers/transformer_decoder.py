import keras

from kerazoo.layers.multi_head_attention import MultiHeadAttention
from kerazoo.layers.transformer_layer_utils import common_config
from kerazoo.layers.transformer_layer_utils import feed_forward
from kerazoo.layers.transformer_layer_utils import head_width
from kerazoo.layers.transformer_layer_utils import init_common
from kerazoo.layers.transformer_layer_utils import residual
from kerazoo.layers.transformer_layer_utils import sublayer_layers


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerDecoderBlock(keras.layers.Layer):
    """One decoder layer: masked self-attention, cross-attention, feed-forward.

    Built with an encoder sequence it has all three sublayers (the paper's
    decoder). Built without one it has no cross-attention, which is the GPT
    block. Each sublayer sits in a residual connection with dropout and layer
    normalisation, post-LN by default and pre-LN with `normalize_first=True`.

    Incremental decoding passes a self-attention cache and the index of the
    step: the new keys and values are written into the cache, and the query
    attends to everything written so far.

    Args:
        num_heads, intermediate_dim, dropout, activation, normalize_first,
        layer_norm_epsilon, use_bias, kernel_initializer, output_kernel_initializer:
            as in `TransformerEncoderBlock`.

    Call arguments:
        decoder_sequence: float `(batch, T, width)`.
        encoder_sequence: float `(batch, S, width)`, or None for a decoder-only block.
        decoder_padding_mask: `(batch, T)`, True at real tokens.
        encoder_padding_mask: `(batch, S)`, True at real tokens.
        use_causal_mask: bool, True by default: position t sees positions <= t.
        self_attention_cache: float `(batch, 2, max_length, heads, head_width)` or None.
        cache_update_index: int32 scalar, the position of the first step.
        return_attention_scores: bool. Also return a dict with the
            `"self_attention"` (and `"cross_attention"`) weights.
        training: bool.

    Returns:
        The output `(batch, T, width)`, then the scores dict when asked for,
        then the updated cache when one was given.

    Reference:
        Vaswani et al., "Attention Is All You Need", 2017, section 3.1;
        Radford et al., "Language Models are Unsupervised Multitask Learners", 2019.
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

    def _attention(self, name, width):
        return MultiHeadAttention(
            self.num_heads,
            head_width(width, self.num_heads),
            dropout=self.dropout,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            output_kernel_initializer=self.output_kernel_initializer,
            name=name,
            dtype=self.dtype_policy,
        )

    def build(self, decoder_sequence_shape, encoder_sequence_shape=None):
        width = decoder_sequence_shape[-1]
        self.self_attention = self._attention("self_attention", width)
        self.self_attention.build(decoder_sequence_shape)
        self.self_attention_norm, self.self_attention_dropout = sublayer_layers(
            self, "self_attention", decoder_sequence_shape
        )
        self.cross_attention = None
        if encoder_sequence_shape is not None:
            self.cross_attention = self._attention("cross_attention", width)
            self.cross_attention.build(decoder_sequence_shape, encoder_sequence_shape)
            self.cross_attention_norm, self.cross_attention_dropout = sublayer_layers(
                self, "cross_attention", decoder_sequence_shape
            )
        self.feedforward_intermediate, self.feedforward_output = feed_forward(self, width)
        self.feedforward_intermediate.build(decoder_sequence_shape)
        self.feedforward_output.build(tuple(decoder_sequence_shape[:-1]) + (self.intermediate_dim,))
        self.feedforward_norm, self.feedforward_dropout = sublayer_layers(
            self, "feedforward", decoder_sequence_shape
        )

    def call(
        self,
        decoder_sequence,
        encoder_sequence=None,
        decoder_padding_mask=None,
        encoder_padding_mask=None,
        use_causal_mask=True,
        self_attention_cache=None,
        cache_update_index=None,
        return_attention_scores=False,
        training=None,
    ):
        if (encoder_sequence is None) != (self.cross_attention is None):
            raise ValueError(
                "This block was built "
                + ("with" if self.cross_attention is not None else "without")
                + " an encoder sequence, and must be called the same way."
            )
        scores = {}

        def self_attend(x):
            out = self.self_attention(
                x,
                padding_mask=decoder_padding_mask,
                use_causal_mask=use_causal_mask,
                cache=self_attention_cache,
                cache_update_index=cache_update_index,
                return_attention_scores=return_attention_scores,
                training=training,
            )
            out = list(out) if isinstance(out, tuple) else [out]
            output = out.pop(0)
            if return_attention_scores:
                scores["self_attention"] = out.pop(0)
            return output, (out.pop(0) if out else None)

        x, cache = residual(
            self, decoder_sequence, self.self_attention_norm, self.self_attention_dropout, self_attend, training
        )
        if self.cross_attention is not None:

            def cross_attend(h):
                out = self.cross_attention(
                    h,
                    encoder_sequence,
                    padding_mask=encoder_padding_mask,
                    return_attention_scores=return_attention_scores,
                    training=training,
                )
                if return_attention_scores:
                    scores["cross_attention"] = out[1]
                    return out[0], None
                return out, None

            x, _ = residual(self, x, self.cross_attention_norm, self.cross_attention_dropout, cross_attend, training)
        x, _ = residual(
            self,
            x,
            self.feedforward_norm,
            self.feedforward_dropout,
            lambda h: (self.feedforward_output(self.feedforward_intermediate(h)), None),
            training,
        )
        results = [x]
        if return_attention_scores:
            results.append(scores)
        if self_attention_cache is not None:
            results.append(cache)
        return results[0] if len(results) == 1 else tuple(results)

    def compute_output_shape(self, decoder_sequence_shape, encoder_sequence_shape=None):
        return decoder_sequence_shape

    def get_config(self):
        config = super().get_config()
        config.update(common_config(self))
        return config
