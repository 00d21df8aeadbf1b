import keras

from kerazoo.layers.multi_head_attention import with_optional_outputs
from kerazoo.layers.transformer_block import TransformerBlock


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerDecoderBlock(TransformerBlock):
    """One decoder layer: masked self-attention, cross-attention, feed-forward.

    Built with an encoder sequence it has all three sublayers (the paper's
    decoder). Built without one it has no cross-attention, which is the GPT
    block. Each sublayer sits in a residual connection with dropout and layer
    normalisation, post-LN by default and pre-LN with `normalize_first=True`.

    Incremental decoding passes a self-attention cache and the index of the
    step: the new keys and values are written into the cache, and the query
    attends to everything written so far.

    Args: those of `TransformerBlock` (kerazoo/layers/transformer_block.py).

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

    def build(self, decoder_sequence_shape, encoder_sequence_shape=None):
        self._build_attention("self_attention", decoder_sequence_shape)
        self.cross_attention = None
        if encoder_sequence_shape is not None:
            self._build_attention("cross_attention", decoder_sequence_shape, encoder_sequence_shape)
        self._build_feedforward(decoder_sequence_shape)

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
        x, scores["self_attention"], cache = self._attention_sublayer(
            "self_attention",
            decoder_sequence,
            training,
            return_attention_scores,
            cache=self_attention_cache,
            padding_mask=decoder_padding_mask,
            use_causal_mask=use_causal_mask,
            cache_update_index=cache_update_index,
        )
        if self.cross_attention is not None:
            x, scores["cross_attention"], _ = self._attention_sublayer(
                "cross_attention",
                x,
                training,
                return_attention_scores,
                value=encoder_sequence,
                padding_mask=encoder_padding_mask,
            )
        x = self._feedforward_sublayer(x, training)
        return with_optional_outputs(x, scores if return_attention_scores else None, cache)

    def compute_output_shape(self, decoder_sequence_shape, encoder_sequence_shape=None):
        return decoder_sequence_shape
