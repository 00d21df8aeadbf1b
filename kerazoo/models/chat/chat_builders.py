"""The chat family's builders: the Transformer or the LSTM with attention, as a `ChatModel`."""

from kerazoo.models.chat.chat_model import ChatModel


def build_chat_transformer(vocabulary_size, num_layers=2, num_heads=4, hidden_dim=192, intermediate_dim=512,
                           dropout=0.1, normalize_first=True, tie_output=True, context="turns", context_turns=2,
                           context_length=64, max_reply_length=40, name="chat_transformer"):
    """kerazoo's encoder-decoder Transformer as a chatbot (pre-LN blocks, output tied to the reply embedding).

    See `ChatModel` for `context`, `context_turns`, `context_length` and `max_reply_length`, and
    `kerazoo.models.transformer.Transformer` for the rest.
    """
    architecture_kwargs = dict(num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                               intermediate_dim=intermediate_dim, dropout=dropout, normalize_first=normalize_first,
                               tie_output=tie_output)
    return ChatModel(vocabulary_size, "transformer", architecture_kwargs, context, context_turns, context_length,
                     max_reply_length, name=name)


def build_chat_lstm(vocabulary_size, embedding_dim=128, units=256, attention_units=None, context="turns",
                    context_turns=2, context_length=64, max_reply_length=40, name="chat_lstm"):
    """kerazoo's biLSTM encoder and Bahdanau-attention LSTM decoder as a chatbot.

    See `ChatModel` for `context`, `context_turns`, `context_length` and `max_reply_length`, and
    `kerazoo.models.seq2seq.Seq2SeqLSTM` for the rest.
    """
    architecture_kwargs = dict(embedding_dim=embedding_dim, units=units, attention_units=attention_units)
    return ChatModel(vocabulary_size, "lstm", architecture_kwargs, context, context_turns, context_length,
                     max_reply_length, name=name)
