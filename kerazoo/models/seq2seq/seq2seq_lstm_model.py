import keras
from keras import ops

from kerazoo.layers.additive_attention import AdditiveAttention
from kerazoo.models.argument_config import ArgumentConfigMixin
from kerazoo.models.presets import PresetMixin
from kerazoo.utils.arguments import check_integer

PADDING_ID = 0


@keras.saving.register_keras_serializable(package="kerazoo")
class BahdanauDecoder(keras.layers.Layer):
    """The attentive LSTM decoder of Bahdanau et al. (2015), one step at a time.

    Step i: the context c_i attends over the encoder outputs with the previous
    state s_{i-1}; the LSTM reads [y_{i-1} embedded; c_i]; the output layer
    reads [s_i; c_i; y_{i-1} embedded] (a one-layer form of the paper's deep
    output). Training runs the step over the target in a `keras.ops.fori_loop`
    (teacher forcing); generation calls `step` directly.

    Args:
        vocabulary_size: int. Target vocabulary.
        embedding_dim: int.
        units: int. LSTM units.
        attention_units: int. Width of the additive scoring layer.
    """

    def __init__(self, vocabulary_size, embedding_dim, units, attention_units, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.attention_units = attention_units
        self.embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, name="target_embedding", dtype=self.dtype_policy)
        self.attention = AdditiveAttention(attention_units, name="attention", dtype=self.dtype_policy)
        self.cell = keras.layers.LSTMCell(units, name="decoder_cell", dtype=self.dtype_policy)
        self.output_dense = keras.layers.Dense(vocabulary_size, name="logits", dtype=self.dtype_policy)

    def build(self, decoder_token_ids_shape, encoder_outputs_shape, state_shape=None, encoder_mask_shape=None):
        batch = decoder_token_ids_shape[0]
        key_width = encoder_outputs_shape[-1]
        self.embedding.build(decoder_token_ids_shape)
        self.attention.build((batch, self.units), encoder_outputs_shape)
        self.cell.build((batch, self.embedding_dim + key_width))
        self.output_dense.build((batch, self.units + key_width + self.embedding_dim))

    def step(self, token_ids, state, encoder_outputs, projected_keys, encoder_mask):
        """One decoding step: returns (logits `(batch, vocab)`, (h, c), attention weights `(batch, S)`)."""
        h, c = state
        embedded = self.embedding(token_ids)
        context, weights = self.attention(h, encoder_outputs, projected_keys, encoder_mask)
        output, (h, c) = self.cell(ops.concatenate([embedded, context], axis=-1), [h, c])
        logits = self.output_dense(ops.concatenate([output, context, embedded], axis=-1))
        return logits, (h, c), weights

    def call(self, decoder_token_ids, encoder_outputs, state, encoder_mask=None, return_attention_weights=False):
        projected = self.attention.project_keys(encoder_outputs)
        decoder_token_ids = ops.cast(decoder_token_ids, "int32")
        batch, length = ops.shape(decoder_token_ids)[0], ops.shape(decoder_token_ids)[1]
        source_length = ops.shape(encoder_outputs)[1]
        # Buffers filled one column per step. keras.ops.scan needs outputs shaped
        # like its carry, and TensorFlow has no gradient for slice_update, so a
        # column is written with `where`: O(T) per step, cheap at these lengths.
        logits = ops.zeros((batch, length, self.vocabulary_size), dtype=self.compute_dtype)
        weights = ops.zeros((batch, length, source_length), dtype="float32")
        columns = ops.arange(length)

        def body(t, carry):
            h, c, logits, weights = carry
            step_logits, (h, c), step_weights = self.step(
                ops.take(decoder_token_ids, t, axis=1), (h, c), encoder_outputs, projected, encoder_mask
            )
            here = ops.reshape(columns == t, (1, -1, 1))
            logits = ops.where(here, ops.expand_dims(ops.cast(step_logits, logits.dtype), 1), logits)
            weights = ops.where(here, ops.expand_dims(step_weights, 1), weights)
            return h, c, logits, weights

        h, c = state
        _, _, logits, weights = ops.fori_loop(0, length, body, (h, c, logits, weights))
        if return_attention_weights:
            return logits, weights
        return logits

    def compute_output_spec(self, decoder_token_ids, encoder_outputs, state=None, encoder_mask=None,
                            return_attention_weights=False):
        batch, length = decoder_token_ids.shape[0], decoder_token_ids.shape[1]
        logits = keras.KerasTensor((batch, length, self.vocabulary_size), dtype=self.compute_dtype)
        if return_attention_weights:
            return logits, keras.KerasTensor((batch, length, encoder_outputs.shape[1]), dtype="float32")
        return logits

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "units": self.units,
                "attention_units": self.attention_units,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="kerazoo")
class Seq2SeqLSTM(ArgumentConfigMixin, PresetMixin, keras.Model):
    """LSTM encoder-decoder with additive attention: the lectures' attention-based translation baseline.

    The encoder is a bidirectional LSTM over the embedded source, so each
    annotation h_j sees the whole sentence. The decoder starts from
    tanh(W_s [h_fwd; h_bwd]) of the encoder's final states and attends at
    every step (see `BahdanauDecoder`). Id 0 is padding on both sides.

    Args:
        source_vocabulary_size, target_vocabulary_size: ints.
        embedding_dim: int. Embedding width on both sides.
        units: int. LSTM units per direction in the encoder, and in the decoder.
        attention_units: int or None. Scoring width; None is `units`.
        max_sequence_length: int. Longest target generated.

    Call arguments:
        inputs: dict with `encoder_token_ids` `(batch, S)` and `decoder_token_ids` `(batch, T)`.

    Returns:
        Logits `(batch, T, target_vocabulary_size)`.

    Reference:
        Bahdanau, Cho & Bengio, "Neural Machine Translation by Jointly Learning
        to Align and Translate", ICLR 2015.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=64,
        units=128,
        attention_units=None,
        max_sequence_length=64,
        **kwargs,
    ):
        check_integer("source_vocabulary_size", source_vocabulary_size, minimum=1)
        check_integer("target_vocabulary_size", target_vocabulary_size, minimum=1)
        check_integer("embedding_dim", embedding_dim, minimum=1)
        check_integer("units", units, minimum=1)
        check_integer("attention_units", attention_units, minimum=1, allow_none=True)
        check_integer("max_sequence_length", max_sequence_length, minimum=1)
        attention_units = attention_units or units
        dtype = kwargs.pop("dtype", None)
        source_embedding = keras.layers.Embedding(source_vocabulary_size, embedding_dim, name="source_embedding", dtype=dtype)
        encoder = keras.layers.Bidirectional(
            keras.layers.LSTM(units, return_sequences=True, return_state=True, dtype=dtype), name="encoder", dtype=dtype
        )
        bridge_h = keras.layers.Dense(units, activation="tanh", name="initial_state_h", dtype=dtype)
        bridge_c = keras.layers.Dense(units, activation="tanh", name="initial_state_c", dtype=dtype)
        decoder = BahdanauDecoder(target_vocabulary_size, embedding_dim, units, attention_units, name="decoder", dtype=dtype)

        encoder_ids = keras.Input((None,), dtype="int32", name="encoder_token_ids")
        decoder_ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
        encoder_mask = encoder_ids != PADDING_ID
        outputs, forward_h, forward_c, backward_h, backward_c = encoder(source_embedding(encoder_ids), mask=encoder_mask)
        state = (
            bridge_h(ops.concatenate([forward_h, backward_h], axis=-1)),
            bridge_c(ops.concatenate([forward_c, backward_c], axis=-1)),
        )
        logits = decoder(decoder_ids, outputs, state, encoder_mask)
        super().__init__(
            inputs={"encoder_token_ids": encoder_ids, "decoder_token_ids": decoder_ids},
            outputs=logits,
            dtype=dtype,
            **kwargs,
        )
        self.source_embedding, self.encoder, self.decoder = source_embedding, encoder, decoder
        self.bridge_h, self.bridge_c = bridge_h, bridge_c
        self.keep_arguments(locals())

    def encode(self, encoder_token_ids):
        """Returns (annotations `(batch, S, 2 units)`, mask `(batch, S)`, initial decoder state (h, c))."""
        encoder_token_ids = ops.cast(encoder_token_ids, "int32")
        mask = encoder_token_ids != PADDING_ID
        outputs, fh, fc, bh, bc = self.encoder(self.source_embedding(encoder_token_ids), mask=mask)
        state = (
            self.bridge_h(ops.concatenate([fh, bh], axis=-1)),
            self.bridge_c(ops.concatenate([fc, bc], axis=-1)),
        )
        return outputs, mask, state

    def attention_maps(self, encoder_token_ids, decoder_token_ids):
        """The attention weights `(batch, T, S)` of the decoder over the source, in a list."""
        outputs, mask, state = self.encode(encoder_token_ids)
        _, weights = self.decoder(decoder_token_ids, outputs, state, mask, return_attention_weights=True)
        return [weights]

    @property
    def max_decoding_length(self):
        return self.max_sequence_length

    def initial_decoding_state(self, encoder_token_ids):
        outputs, mask, (h, c) = self.encode(encoder_token_ids)
        return h, c, outputs, self.decoder.attention.project_keys(outputs), mask

    def decoding_step(self, token_ids, state):
        h, c, outputs, projected, mask = state
        logits, (h, c), _ = self.decoder.step(token_ids, (h, c), outputs, projected, mask)
        return logits, (h, c, outputs, projected, mask)
