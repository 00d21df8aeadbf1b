"""Image captioners: a convolutional encoder that keeps a grid, and a decoder that attends over it.

`ShowAttendTell` is the model of Xu et al. (2015), "Show, Attend and Tell":
the LSTM decoder with additive (Bahdanau) attention of `kerazoo.models.seq2seq`
reads the grid of image features as its source. `CaptionTransformer` puts a
Transformer decoder (masked self-attention, cross-attention to the grid) in
its place. Both implement the decoding protocol with the image encoded first
(`initial_decoding_state(images)`, `decoding_step`), so greedy search, sampling
and beam search come from `kerazoo.generation` unchanged.

Images are float32 `(batch, 64, 64, 3)` in [0, 1]. Caption id 0 is padding.
"""

import math

import keras
from keras import ops

from kerazoo.generation.decoding import DecodingMixin
from kerazoo.layers.kv_cache import call_with_cache
from kerazoo.layers.kv_cache import empty_cache
from kerazoo.layers.position_encoding import SinusoidalPositionEncoding
from kerazoo.layers.transformer_block import head_width
from kerazoo.layers.transformer_decoder import TransformerDecoderBlock
from kerazoo.models.argument_config import ArgumentConfigMixin
from kerazoo.models.presets import PresetMixin
from kerazoo.models.seq2seq.seq2seq_lstm_model import BahdanauDecoder
from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number

PADDING_ID = 0
INITIAL_STATES = ("image_mean", "learned")


@keras.saving.register_keras_serializable(package="kerazoo")
class GridEncoder(keras.layers.Layer):
    """Convolutions that halve the image `len(filters) - 1` times and keep the grid: `(batch, cells, width)`.

    Each cell of the grid gets a learned position vector added, so a context
    vector made from the cells says where it looked as well as what it saw.

    Args:
        filters: tuple of ints. One 3x3 convolution each; all but the last have stride 2.
        width: int. The width of a cell's feature vector (a 1x1 projection).
        image_size: int. The side of the (square) input image.
    """

    def __init__(self, filters=(32, 64, 96, 128), width=128, image_size=64, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.width, self.image_size = tuple(filters), width, image_size
        self.grid_size = image_size // 2 ** (len(self.filters) - 1)
        self.convolutions = [
            keras.layers.Conv2D(f, 3, strides=2 if i < len(self.filters) - 1 else 1, padding="same",
                                activation="relu", name=f"conv_{i}", dtype=self.dtype_policy)
            for i, f in enumerate(self.filters)
        ]
        self.projection = keras.layers.Dense(width, name="cell_projection", dtype=self.dtype_policy)
        self.norm = keras.layers.LayerNormalization(epsilon=1e-5, name="cell_norm", dtype=self.dtype_policy)

    @property
    def cells(self):
        return self.grid_size * self.grid_size

    def build(self, images_shape):
        shape = tuple(images_shape)
        for conv in self.convolutions:
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
        self.projection.build(shape)
        self.norm.build(shape[:-1] + (self.width,))
        self.positions = self.add_weight(name="cell_positions", shape=(self.cells, self.width),
                                         initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, images):
        x = ops.cast(images, self.compute_dtype)
        for conv in self.convolutions:
            x = conv(x)
        x = self.norm(self.projection(x))
        x = ops.reshape(x, (ops.shape(x)[0], self.cells, self.width))
        return x + ops.cast(self.positions, x.dtype)

    def compute_output_shape(self, images_shape):
        return (images_shape[0], self.cells, self.width)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": list(self.filters), "width": self.width, "image_size": self.image_size})
        return config


def attention_penalty(weights, decoder_token_ids):
    """Xu et al.'s doubly stochastic regulariser, sum_i (1 - sum_t alpha_ti)^2, averaged over the batch.

    `weights` `(batch, T, cells)`; steps whose input is padding do not count.
    """
    mask = ops.cast(decoder_token_ids != PADDING_ID, weights.dtype)
    coverage = ops.sum(weights * ops.expand_dims(mask, -1), axis=1)
    return ops.mean(ops.sum(ops.square(1.0 - coverage), axis=-1))


@keras.saving.register_keras_serializable(package="kerazoo")
class AttentionPenalty(keras.layers.Layer):
    """Adds `penalty * attention_penalty(weights, ids)` to the model's losses; passes `logits` through."""

    def __init__(self, penalty, **kwargs):
        super().__init__(**kwargs)
        self.penalty = penalty

    def call(self, logits, weights, decoder_token_ids):
        if self.penalty:
            self.add_loss(self.penalty * attention_penalty(weights, decoder_token_ids))
        return logits

    def compute_output_shape(self, logits_shape, weights_shape, decoder_token_ids_shape):
        return logits_shape

    def get_config(self):
        config = super().get_config()
        config.update({"penalty": self.penalty})
        return config


def _check_common(vocabulary_size, image_size, filters, max_sequence_length):
    check_integer("vocabulary_size", vocabulary_size, minimum=4)
    check_integer("image_size", image_size, minimum=8)
    if not filters or any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in filters):
        raise ValueError(f"`filters` must be a non-empty list of positive ints. Received: filters={filters!r}")
    if image_size % 2 ** (len(filters) - 1):
        raise ValueError(f"`image_size` must be divisible by 2^(len(filters) - 1) = {2 ** (len(filters) - 1)}. "
                         f"Received: image_size={image_size}, filters={list(filters)}")
    check_integer("max_sequence_length", max_sequence_length, minimum=2)


@keras.saving.register_keras_serializable(package="kerazoo")
class ShowAttendTell(DecodingMixin, ArgumentConfigMixin, PresetMixin, keras.Model):
    """A convolutional grid encoder and an LSTM decoder with additive attention over the grid.

    Step t: the context z_t = sum_i alpha_ti a_i attends over the grid cells
    a_i with the previous state h_{t-1} (alpha = softmax(v^T tanh(W a_i + U h_{t-1})));
    the LSTM reads [E y_{t-1}; z_t]; the logits read [h_t; z_t; E y_{t-1}].

    Args:
        vocabulary_size: int. Caption words, with padding (0), start and end.
        embedding_dim: int.
        units: int. LSTM units.
        attention_units: int or None. Width of the additive scoring layer; None is `units`.
        filters: list of ints. The encoder's convolutions (see `GridEncoder`).
        feature_dim: int. Width of a grid cell.
        image_size: int. Side of the square input image.
        initial_state: "image_mean" (the paper: h_0, c_0 from the mean of the cells) or
            "learned" (a trained constant: the decoder sees the image only through attention).
        attention_penalty: float >= 0. Weight of the doubly stochastic penalty (the paper's lambda).
        max_sequence_length: int. Longest caption generated, start and end tokens included.

    Call arguments:
        inputs: dict with `images` `(batch, H, W, 3)` float in [0, 1] and
            `decoder_token_ids` `(batch, T)` (the caption shifted right, from the start token).

    Returns:
        Logits `(batch, T, vocabulary_size)`; `attention_maps` gives the attention weights.

    Reference:
        Xu et al., "Show, Attend and Tell: Neural Image Caption Generation with
        Visual Attention", ICML 2015.
    """

    def __init__(self, vocabulary_size, embedding_dim=64, units=256, attention_units=None, filters=(32, 64, 96, 128),
                 feature_dim=128, image_size=64, initial_state="image_mean", attention_penalty=0.0,
                 max_sequence_length=32, **kwargs):
        _check_common(vocabulary_size, image_size, filters, max_sequence_length)
        check_integer("embedding_dim", embedding_dim, minimum=1)
        check_integer("units", units, minimum=1)
        check_integer("attention_units", attention_units, minimum=1, allow_none=True)
        check_integer("feature_dim", feature_dim, minimum=1)
        check_choice("initial_state", initial_state, INITIAL_STATES)
        check_number("attention_penalty", attention_penalty, minimum=0.0)
        attention_units = attention_units or units
        dtype = kwargs.pop("dtype", None)
        encoder = GridEncoder(filters, feature_dim, image_size, name="grid_encoder", dtype=dtype)
        decoder = BahdanauDecoder(vocabulary_size, embedding_dim, units, attention_units, name="decoder", dtype=dtype)
        bridge_h = keras.layers.Dense(units, activation="tanh", name="initial_state_h", dtype=dtype)
        bridge_c = keras.layers.Dense(units, activation="tanh", name="initial_state_c", dtype=dtype)
        penalty = AttentionPenalty(attention_penalty, name="attention_penalty", dtype=dtype)

        images = keras.Input((image_size, image_size, 3), dtype="float32", name="images")
        decoder_ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
        grid = encoder(images)
        state = self._initial_state(grid, bridge_h, bridge_c, initial_state)
        logits, weights = decoder(decoder_ids, grid, state, return_attention_weights=True)
        logits = penalty(logits, weights, decoder_ids)
        super().__init__(inputs={"images": images, "decoder_token_ids": decoder_ids}, outputs=logits, dtype=dtype,
                         **kwargs)
        self.encoder, self.decoder, self.bridge_h, self.bridge_c = encoder, decoder, bridge_h, bridge_c
        self.penalty_layer = penalty
        self.keep_arguments(locals())

    @staticmethod
    def _initial_state(grid, bridge_h, bridge_c, kind):
        summary = ops.mean(grid, axis=1)
        if kind == "learned":
            # A trained constant: the bridges see zeros, so their biases are the state.
            summary = ops.zeros_like(summary)
        return bridge_h(summary), bridge_c(summary)

    def encode(self, images):
        """Returns (grid `(batch, cells, feature_dim)`, initial state (h, c))."""
        grid = self.encoder(images)
        return grid, self._initial_state(grid, self.bridge_h, self.bridge_c, self.initial_state)

    def attention_maps(self, images, decoder_token_ids):
        """The attention weights `(batch, T, cells)` of each caption position over the grid."""
        grid, state = self.encode(images)
        _, weights = self.decoder(ops.cast(decoder_token_ids, "int32"), grid, state, return_attention_weights=True)
        return weights

    @property
    def grid_size(self):
        return self.encoder.grid_size

    @property
    def max_decoding_length(self):
        return self.max_sequence_length

    def initial_decoding_state(self, images):
        grid, (h, c) = self.encode(images)
        mask = ops.ones(ops.shape(grid)[:2], dtype="bool")
        return h, c, grid, self.decoder.attention.project_keys(grid), mask

    def decoding_step(self, token_ids, state):
        h, c, grid, projected, mask = state
        logits, (h, c), _ = self.decoder.step(token_ids, (h, c), grid, projected, mask)
        return logits, (h, c, grid, projected, mask)


@keras.saving.register_keras_serializable(package="kerazoo")
class CaptionTransformer(DecodingMixin, ArgumentConfigMixin, PresetMixin, keras.Model):
    """The same grid encoder, and a Transformer decoder that cross-attends to the grid cells.

    Args:
        vocabulary_size: int.
        num_layers, num_heads, hidden_dim, intermediate_dim, dropout: the decoder's
            blocks, as in `kerazoo.models.transformer.Transformer` (pre-LN blocks here).
        filters, image_size, max_sequence_length: as in `ShowAttendTell`; the cells are `hidden_dim` wide.

    Returns:
        Logits `(batch, T, vocabulary_size)`; `attention_maps` gives the last
        block's cross-attention, averaged over its heads.
    """

    def __init__(self, vocabulary_size, num_layers=2, num_heads=4, hidden_dim=128, intermediate_dim=256,
                 dropout=0.0, filters=(32, 64, 96, 128), image_size=64, max_sequence_length=32, **kwargs):
        _check_common(vocabulary_size, image_size, filters, max_sequence_length)
        check_integer("num_layers", num_layers, minimum=1)
        head_width(hidden_dim, num_heads, "hidden_dim")
        check_number("dropout", dropout, minimum=0.0, maximum=1.0)
        dtype = kwargs.pop("dtype", None)
        encoder = GridEncoder(filters, hidden_dim, image_size, name="grid_encoder", dtype=dtype)
        embedding = keras.layers.Embedding(vocabulary_size, hidden_dim, name="token_embedding", dtype=dtype)
        positions = SinusoidalPositionEncoding(name="position_encoding", dtype=dtype)
        blocks = [TransformerDecoderBlock(num_heads, intermediate_dim, dropout=dropout, normalize_first=True,
                                          name=f"decoder_block_{i}", dtype=dtype) for i in range(num_layers)]
        norm = keras.layers.LayerNormalization(epsilon=1e-5, name="decoder_norm", dtype=dtype)
        head = keras.layers.Dense(vocabulary_size, name="logits", dtype=dtype)
        scale = math.sqrt(hidden_dim)

        def embed(ids, start_index=0):
            x = embedding(ids) * ops.cast(scale, embedding.compute_dtype)
            return x + positions(x, start_index=start_index)

        images = keras.Input((image_size, image_size, 3), dtype="float32", name="images")
        decoder_ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
        grid = encoder(images)
        y = embed(decoder_ids)
        for block in blocks:
            y = block(y, grid)
        logits = head(norm(y))
        super().__init__(inputs={"images": images, "decoder_token_ids": decoder_ids}, outputs=logits, dtype=dtype,
                         **kwargs)
        self._embed = embed
        self.encoder, self.embedding, self.blocks, self.norm, self.head = encoder, embedding, blocks, norm, head
        self.keep_arguments(locals())

    def attention_maps(self, images, decoder_token_ids):
        """The last block's cross-attention `(batch, T, cells)`, averaged over its heads."""
        grid = self.encoder(images)
        y = self._embed(ops.cast(decoder_token_ids, "int32"))
        for block in self.blocks:
            y, scores = block(y, grid, return_attention_scores=True)
        return ops.mean(scores["cross_attention"], axis=1)

    @property
    def grid_size(self):
        return self.encoder.grid_size

    @property
    def max_decoding_length(self):
        return self.max_sequence_length

    def initial_decoding_state(self, images):
        grid = self.encoder(images)
        cache = empty_cache(self.blocks, ops.shape(grid)[0], self.max_sequence_length, self.compute_dtype)
        return cache, grid, ops.zeros((), dtype="int32")

    def decoding_step(self, token_ids, state):
        cache, grid, index = state
        y = self._embed(ops.expand_dims(token_ids, 1), index)
        y, cache = call_with_cache(self.blocks, y, cache, index, grid)
        logits = self.head(self.norm(y))[:, 0, :]
        return logits, (cache, grid, index + 1)
