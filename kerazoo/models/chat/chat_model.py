"""A chatbot: one of kerazoo's encoder-decoders, reading the last turns of a conversation and writing a reply.

`ChatModel` holds a `Transformer` (kerazoo.models.transformer) or a
`Seq2SeqLSTM` (kerazoo.models.seq2seq, biLSTM + Bahdanau attention) as it is,
with one word vocabulary on both sides, and adds what a conversation needs:
how many turns and ids of context it reads, the longest reply, and an
empty-context mode. With `context="empty"` the encoder reads `<none>` whatever
it is given, so the decoder is a language model of replies with the same
weights and size: the baseline that says what the context is worth.

The decoding protocol is the encoder-decoders' (`initial_decoding_state(encoder
ids)`, `decoding_step`), so greedy search, sampling and beam search come from
`kerazoo.generation`; `decoding_step` sets the logits of the special tokens a
reply never holds (padding, `<unk>`, `<start>`, `<turn>`, `<speaker>`,
`<none>`) to -1e9. The training call's logits are left whole, so perplexity
counts `<unk>` as the unit it is.
"""

import keras
import numpy as np
from keras import ops

from kerazoo.generation.decoding import DecodingMixin
from kerazoo.models.argument_config import ArgumentConfigMixin
from kerazoo.models.chat.chat_vocabulary import MAX_NAME_UNITS
from kerazoo.models.chat.chat_vocabulary import NEVER_GENERATED
from kerazoo.models.chat.chat_vocabulary import NONE_ID
from kerazoo.models.chat.chat_vocabulary import SPECIAL_TOKENS
from kerazoo.models.presets import PresetMixin
from kerazoo.models.seq2seq.seq2seq_lstm_model import Seq2SeqLSTM
from kerazoo.models.transformer.transformer_model import Transformer
from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer

ENCODER_DECODERS = {"transformer": Transformer, "lstm": Seq2SeqLSTM}
CONTEXTS = ("turns", "empty")


def _no_context(encoder_token_ids):
    """One `<none>` per row, whatever the rows hold."""
    return ops.full_like(ops.cast(encoder_token_ids, "int32")[:, :1], NONE_ID)


@keras.saving.register_keras_serializable(package="kerazoo")
class ChatModel(DecodingMixin, ArgumentConfigMixin, PresetMixin, keras.Model):
    """An encoder-decoder that replies to the last turns of a conversation.

    Args:
        vocabulary_size: int. The `ChatVocabulary`'s size (both sides).
        architecture: "transformer" or "lstm": the encoder-decoder inside.
        architecture_kwargs: dict. Its builder's arguments (`num_layers`, `hidden_dim`, ... or
            `embedding_dim`, `units`, ...), all but the vocabulary sizes and `max_sequence_length`.
        context: "turns" (the encoder reads the conversation) or "empty" (it reads `<none>`: a
            language model of replies).
        context_turns: int. How many of the last turns the encoder reads.
        context_length: int. The most context ids it reads (the latest are kept).
        max_reply_length: int. The longest reply in ids, its end token included.

    Call arguments:
        inputs: dict with `encoder_token_ids` `(batch, S)` (see `ChatVocabulary.context_ids`) and
            `decoder_token_ids` `(batch, T)` (`<start>` and the reply, shifted right).

    Returns:
        Logits `(batch, T, vocabulary_size)`.

    Example:

    >>> model = ChatModel(20, architecture_kwargs={"num_layers": 1, "num_heads": 2, "hidden_dim": 8,
    ...                                            "intermediate_dim": 16})
    >>> model.max_decoding_length
    41
    """

    def __init__(self, vocabulary_size, architecture="transformer", architecture_kwargs=None, context="turns",
                 context_turns=2, context_length=64, max_reply_length=40, **kwargs):
        check_integer("vocabulary_size", vocabulary_size, minimum=len(SPECIAL_TOKENS) + 1)
        check_choice("architecture", architecture, tuple(ENCODER_DECODERS))
        check_choice("context", context, CONTEXTS)
        check_integer("context_turns", context_turns, minimum=1)
        check_integer("context_length", context_length, minimum=MAX_NAME_UNITS + 2)
        check_integer("max_reply_length", max_reply_length, minimum=1)
        architecture_kwargs = dict(architecture_kwargs or {})
        fixed = sorted({"source_vocabulary_size", "target_vocabulary_size", "max_sequence_length", "name",
                        "dtype"} & set(architecture_kwargs))
        if fixed:
            raise ValueError(f"`architecture_kwargs` must not set {fixed}: the chat model sets them. "
                             f"Received: architecture_kwargs={architecture_kwargs!r}")
        dtype = kwargs.pop("dtype", None)
        seq2seq = ENCODER_DECODERS[architecture](vocabulary_size, vocabulary_size, max_sequence_length=max_reply_length
                                                 + 1, name=architecture, dtype=dtype, **architecture_kwargs)
        encoder_ids = keras.Input((None,), dtype="int32", name="encoder_token_ids")
        decoder_ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
        source = _no_context(encoder_ids) if context == "empty" else encoder_ids
        logits = seq2seq({"encoder_token_ids": source, "decoder_token_ids": decoder_ids})
        super().__init__(inputs={"encoder_token_ids": encoder_ids, "decoder_token_ids": decoder_ids}, outputs=logits,
                         dtype=dtype, **kwargs)
        self.seq2seq = seq2seq
        self._never = np.isin(np.arange(vocabulary_size), NEVER_GENERATED)
        self.keep_arguments(locals())

    # The decoding protocol of `kerazoo.generation`, with the encoder run first.
    @property
    def max_decoding_length(self):
        return self.max_reply_length + 1

    def initial_decoding_state(self, encoder_token_ids):
        if self.context == "empty":
            encoder_token_ids = _no_context(encoder_token_ids)
        return self.seq2seq.initial_decoding_state(ops.cast(encoder_token_ids, "int32"))

    def decoding_step(self, token_ids, state):
        logits, state = self.seq2seq.decoding_step(token_ids, state)
        return ops.where(self._never, -1e9, ops.cast(logits, "float32")), state
