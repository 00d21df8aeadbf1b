import math

import keras
from keras import ops

from kerazoo.generation.decoding import DecodingMixin
from kerazoo.layers.kv_cache import call_with_cache
from kerazoo.layers.kv_cache import empty_cache
from kerazoo.layers.position_encoding import PositionEmbedding
from kerazoo.layers.position_encoding import SinusoidalPositionEncoding
from kerazoo.layers.transformer_block import head_width
from kerazoo.layers.transformer_decoder import TransformerDecoderBlock
from kerazoo.models.argument_config import ArgumentConfigMixin
from kerazoo.models.presets import PresetMixin
from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer

POSITION_ENCODINGS = ("learned", "sinusoidal")


@keras.saving.register_keras_serializable(package="kerazoo")
class GPT(ArgumentConfigMixin, PresetMixin, DecodingMixin, keras.Model):
    """A decoder-only Transformer language model (GPT-2's layout, as in nanoGPT).

    token ids -> token embedding + position embedding -> dropout ->
    `num_layers` pre-LN decoder blocks (masked self-attention and a GELU
    feed-forward, no cross-attention) -> final layer norm -> logits. With
    `tie_weights` the output projection is the transpose of the token
    embedding (Press & Wolf, 2017), as in GPT-2 and nanoGPT.

    Weights start as in nanoGPT: N(0, 0.02), and the two projections that
    write into the residual stream use N(0, 0.02 / sqrt(2 * num_layers)).

    The model also decodes step by step with a key/value cache (see
    `decoding_step`), which is how `kerazoo.generation` samples from it.

    Args:
        vocabulary_size: int. Token ids lie in [0, vocabulary_size).
        num_layers: int. Decoder blocks, 6 by default.
        num_heads: int. Attention heads; `hidden_dim` must divide by it.
        hidden_dim: int. The model width, d_model.
        intermediate_dim: int or None. The feed-forward width; None is 4 * hidden_dim.
        max_sequence_length: int. The context length: the most positions the
            model can attend over.
        dropout: float. Dropout on embeddings, attention weights and residual branches.
        use_bias: bool. Biases in dense layers and layer norms (nanoGPT: False).
        position_encoding: "learned" (GPT-2) or "sinusoidal" (the Transformer paper).
        tie_weights: bool. Share the token embedding with the output layer.
        layer_norm_epsilon: float.

    Call arguments:
        token_ids: int tensor `(batch, time)`, time <= max_sequence_length.

    Returns:
        Logits `(batch, time, vocabulary_size)`; position t depends only on tokens <= t.

    Example:

    >>> model = GPT(vocabulary_size=65, num_layers=2, num_heads=2, hidden_dim=32, max_sequence_length=16)
    >>> model(np.zeros((1, 8), "int32")).shape
    (1, 8, 65)

    Reference:
        Radford et al., "Language Models are Unsupervised Multitask Learners", 2019;
        Karpathy, nanoGPT (github.com/karpathy/nanoGPT).
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers=6,
        num_heads=6,
        hidden_dim=384,
        intermediate_dim=None,
        max_sequence_length=256,
        dropout=0.0,
        use_bias=False,
        position_encoding="learned",
        tie_weights=True,
        layer_norm_epsilon=1e-5,
        **kwargs,
    ):
        check_integer("vocabulary_size", vocabulary_size, minimum=1)
        check_integer("num_layers", num_layers, minimum=1)
        head_width(hidden_dim, num_heads, "hidden_dim")
        check_integer("max_sequence_length", max_sequence_length, minimum=1)
        check_choice("position_encoding", position_encoding, POSITION_ENCODINGS)
        initializer = keras.initializers.RandomNormal(stddev=0.02)
        residual_initializer = keras.initializers.RandomNormal(stddev=0.02 / math.sqrt(2 * num_layers))
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        dtype = kwargs.pop("dtype", None)

        # Layers first, so that the cached decoding path can call the same objects.
        token_embedding = keras.layers.ReversibleEmbedding(
            vocabulary_size,
            hidden_dim,
            tie_weights=tie_weights,
            embeddings_initializer=initializer,
            name="token_embedding",
            dtype=dtype,
        )
        if position_encoding == "learned":
            position_layer = PositionEmbedding(
                max_sequence_length, initializer=initializer, name="position_embedding", dtype=dtype
            )
        else:
            position_layer = SinusoidalPositionEncoding(name="position_encoding", dtype=dtype)
        embeddings_dropout = keras.layers.Dropout(dropout, name="embeddings_dropout", dtype=dtype)
        blocks = [
            TransformerDecoderBlock(
                num_heads,
                intermediate_dim,
                dropout=dropout,
                activation="gelu",
                normalize_first=True,
                layer_norm_epsilon=layer_norm_epsilon,
                use_bias=use_bias,
                kernel_initializer=initializer,
                output_kernel_initializer=residual_initializer,
                name=f"decoder_block_{i}",
                dtype=dtype,
            )
            for i in range(num_layers)
        ]
        final_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, center=use_bias, name="final_norm", dtype=dtype
        )

        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        x = token_embedding(token_ids)
        x = x + position_layer(x)
        x = embeddings_dropout(x)
        for block in blocks:
            x = block(x)
        x = final_norm(x)
        logits = token_embedding(x, reverse=True)
        super().__init__(inputs=token_ids, outputs=logits, dtype=dtype, **kwargs)

        self.token_embedding = token_embedding
        self.position_layer = position_layer
        self.embeddings_dropout = embeddings_dropout
        self.blocks = blocks
        self.final_norm = final_norm
        self.keep_arguments(locals())

    # The decoding protocol of `kerazoo.generation`.
    def initial_decoding_state(self, batch_size):
        """An empty key/value cache, the index of the next position, and a window of recent tokens.

        The cache is `(batch, num_layers, 2, max_sequence_length, heads, head_width)`,
        batch first, so beam search can reorder it like any other state. The
        window `(batch, max_sequence_length)` holds the last tokens read.
        """
        cache = empty_cache(self.blocks, batch_size, self.max_sequence_length, self.compute_dtype)
        window = ops.zeros((batch_size, self.max_sequence_length), dtype="int32")
        return cache, ops.zeros((), dtype="int32"), window

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """Runs `token_ids` `(batch, T)` at positions cache_update_index ... + T - 1.

        Returns:
            (logits `(batch, T, vocabulary)`, the updated cache).
        """
        x = self.token_embedding(token_ids)
        x = x + self.position_layer(x, start_index=cache_update_index)
        x, cache = call_with_cache(self.blocks, x, cache, cache_update_index)
        x = self.final_norm(x)
        return self.token_embedding(x, reverse=True), cache

    def decoding_step(self, token_ids, state):
        """Reads one token per row, `(batch,)`, and returns (next-token logits, state).

        Within the context each step runs one position through the cache.
        Past it, the model sees only the last `max_sequence_length` tokens,
        at positions 0 ... max_sequence_length - 1, as nanoGPT's `generate`
        crops its input: every step then recomputes that window in full.
        """
        cache, index, window = state
        window = ops.concatenate([window[:, 1:], ops.expand_dims(ops.cast(token_ids, "int32"), 1)], axis=1)

        def cached():
            logits, new_cache = self.call_with_cache(ops.expand_dims(token_ids, 1), cache, index)
            return logits[:, 0, :], new_cache

        def recomputed():
            return self(window, training=False)[:, -1, :], cache

        logits, cache = ops.cond(index < self.max_sequence_length, cached, recomputed)
        return logits, (cache, index + 1, window)

    def prefill(self, token_ids, state):
        """Reads a block of tokens `(batch, n)` from a fresh state in one parallel pass.

        Within the context the block goes through the cache in one call;
        past it the cache is never read again (each step recomputes the
        window), so only the window of the last `max_sequence_length`
        tokens is kept. Either way the state equals `n` calls of
        `decoding_step`, so what is decoded next is the same.
        """
        cache, index, window = state
        token_ids = ops.cast(token_ids, "int32")
        count = ops.shape(token_ids)[1]
        window = ops.concatenate([window, token_ids], axis=1)[:, -self.max_sequence_length :]

        def within():
            return self.call_with_cache(token_ids, cache, index)[1]

        cache = ops.cond(index + count <= self.max_sequence_length, within, lambda: cache)
        return cache, index + count, window
