import math

import keras
from keras import ops

from kerazoo.layers.kv_cache import call_with_cache
from kerazoo.layers.kv_cache import empty_cache
from kerazoo.layers.position_encoding import SinusoidalPositionEncoding
from kerazoo.layers.transformer_block import head_width
from kerazoo.layers.transformer_decoder import TransformerDecoderBlock
from kerazoo.layers.transformer_encoder import TransformerEncoderBlock
from kerazoo.models.argument_config import ArgumentConfigMixin
from kerazoo.models.presets import PresetMixin
from kerazoo.utils.arguments import check_integer

PADDING_ID = 0


@keras.saving.register_keras_serializable(package="kerazoo")
class Transformer(ArgumentConfigMixin, PresetMixin, keras.Model):
    """The encoder-decoder Transformer of Vaswani et al. (2017) for sequence-to-sequence tasks.

    Encoder: embedding * sqrt(d_model) + sinusoidal positions, dropout, N
    encoder blocks. Decoder: the same embedding scheme, N decoder blocks
    (masked self-attention, cross-attention to the encoder, feed-forward),
    then a linear layer to the target vocabulary. Id 0 is padding on both
    sides: padded source positions are never attended to, and padded target
    positions are ignored by the loss (`ignore_class=0`).

    Args:
        source_vocabulary_size, target_vocabulary_size: ints.
        num_layers: int. N, for the encoder and the decoder each (6 in the paper).
        num_heads: int. h (8).
        hidden_dim: int. d_model (512).
        intermediate_dim: int. d_ff (2048).
        dropout: float. P_drop (0.1).
        normalize_first: bool. Pre-LN blocks (with a final layer norm on each
            side) instead of the paper's post-LN.
        tie_output: bool. The output layer reuses the target embedding
            (section 3.4 shares the two).
        max_sequence_length: int or None. Longest target generated; None is 512.

    Call arguments:
        inputs: dict with `encoder_token_ids` `(batch, S)` and
            `decoder_token_ids` `(batch, T)` (the target shifted right, starting
            with the start token).

    Returns:
        Logits `(batch, T, target_vocabulary_size)`.

    Reference:
        Vaswani et al., "Attention Is All You Need", 2017.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        num_layers=6,
        num_heads=8,
        hidden_dim=512,
        intermediate_dim=2048,
        dropout=0.1,
        normalize_first=False,
        tie_output=False,
        max_sequence_length=512,
        **kwargs,
    ):
        check_integer("source_vocabulary_size", source_vocabulary_size, minimum=1)
        check_integer("target_vocabulary_size", target_vocabulary_size, minimum=1)
        check_integer("num_layers", num_layers, minimum=1)
        head_width(hidden_dim, num_heads, "hidden_dim")
        check_integer("max_sequence_length", max_sequence_length, minimum=1)
        dtype = kwargs.pop("dtype", None)
        block_kwargs = dict(dropout=dropout, normalize_first=normalize_first, dtype=dtype)
        source_embedding = keras.layers.Embedding(source_vocabulary_size, hidden_dim, name="source_embedding", dtype=dtype)
        target_embedding = keras.layers.ReversibleEmbedding(
            target_vocabulary_size, hidden_dim, tie_weights=tie_output, name="target_embedding", dtype=dtype
        )
        position_encoding = SinusoidalPositionEncoding(name="position_encoding", dtype=dtype)
        source_dropout = keras.layers.Dropout(dropout, name="source_dropout", dtype=dtype)
        target_dropout = keras.layers.Dropout(dropout, name="target_dropout", dtype=dtype)
        encoder_blocks = [
            TransformerEncoderBlock(num_heads, intermediate_dim, name=f"encoder_block_{i}", **block_kwargs)
            for i in range(num_layers)
        ]
        decoder_blocks = [
            TransformerDecoderBlock(num_heads, intermediate_dim, name=f"decoder_block_{i}", **block_kwargs)
            for i in range(num_layers)
        ]
        encoder_norm = decoder_norm = None
        if normalize_first:
            encoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="encoder_norm", dtype=dtype)
            decoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="decoder_norm", dtype=dtype)
        scale = math.sqrt(hidden_dim)

        def embed(embedding, dropout_layer, ids, start_index=0):
            x = embedding(ids) * ops.cast(scale, embedding.compute_dtype)
            return dropout_layer(x + position_encoding(x, start_index=start_index))

        encoder_ids = keras.Input((None,), dtype="int32", name="encoder_token_ids")
        decoder_ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
        encoder_mask = encoder_ids != PADDING_ID
        x = embed(source_embedding, source_dropout, encoder_ids)
        for block in encoder_blocks:
            x = block(x, padding_mask=encoder_mask)
        if encoder_norm is not None:
            x = encoder_norm(x)
        encoded = x
        y = embed(target_embedding, target_dropout, decoder_ids)
        for block in decoder_blocks:
            y = block(y, encoded, encoder_padding_mask=encoder_mask)
        if decoder_norm is not None:
            y = decoder_norm(y)
        logits = target_embedding(y, reverse=True)
        super().__init__(
            inputs={"encoder_token_ids": encoder_ids, "decoder_token_ids": decoder_ids},
            outputs=logits,
            dtype=dtype,
            **kwargs,
        )
        self._embed = embed
        self.source_embedding, self.target_embedding = source_embedding, target_embedding
        self.source_dropout, self.target_dropout = source_dropout, target_dropout
        self.position_encoding = position_encoding
        self.encoder_blocks, self.decoder_blocks = encoder_blocks, decoder_blocks
        self.encoder_norm, self.decoder_norm = encoder_norm, decoder_norm
        self.keep_arguments(locals())

    def encode(self, encoder_token_ids):
        """Runs the encoder: returns (encoder outputs `(batch, S, d)`, padding mask `(batch, S)`)."""
        encoder_token_ids = ops.cast(encoder_token_ids, "int32")
        mask = encoder_token_ids != PADDING_ID
        x = self._embed(self.source_embedding, self.source_dropout, encoder_token_ids)
        for block in self.encoder_blocks:
            x = block(x, padding_mask=mask)
        if self.encoder_norm is not None:
            x = self.encoder_norm(x)
        return x, mask

    def attention_maps(self, encoder_token_ids, decoder_token_ids):
        """Cross-attention weights of every decoder layer: a list of `(batch, heads, T, S)`."""
        encoded, mask = self.encode(encoder_token_ids)
        y = self._embed(self.target_embedding, self.target_dropout, ops.cast(decoder_token_ids, "int32"))
        maps = []
        for block in self.decoder_blocks:
            y, scores = block(y, encoded, encoder_padding_mask=mask, return_attention_scores=True)
            maps.append(scores["cross_attention"])
        return maps

    # The decoding protocol of `kerazoo.generation`, with the encoder run first.
    @property
    def max_decoding_length(self):
        return self.max_sequence_length

    def initial_decoding_state(self, encoder_token_ids):
        """Encodes the source once; the state holds the encoding and an empty self-attention cache."""
        encoded, mask = self.encode(encoder_token_ids)
        cache = empty_cache(self.decoder_blocks, ops.shape(encoded)[0], self.max_sequence_length, self.compute_dtype)
        return cache, encoded, mask, ops.zeros((), dtype="int32")

    def decoding_step(self, token_ids, state):
        cache, encoded, mask, index = state
        y = self._embed(self.target_embedding, self.target_dropout, ops.expand_dims(token_ids, 1), index)
        y, cache = call_with_cache(self.decoder_blocks, y, cache, index, encoded, encoder_padding_mask=mask)
        if self.decoder_norm is not None:
            y = self.decoder_norm(y)
        logits = self.target_embedding(y, reverse=True)[:, 0, :]
        return logits, (cache, encoded, mask, index + 1)
