"""Builders for the character-level recurrent models.

Each returns a ready `CharRNN` (a `keras.Model`) mapping token ids
`(batch, time)` to next-token logits `(batch, time, vocabulary_size)`.
"""

from kerazoo.models.char_rnn.char_rnn_model import CharRNN


def build_simple_rnn(
    vocabulary_size,
    units=64,
    num_layers=1,
    embedding_dim=None,
    dropout=0.0,
    cell_api=False,
    return_state=False,
):
    """Elman RNN, h_t = tanh(W_xh x_t + W_hh h_{t-1} + b), then a dense head.

    Args:
        vocabulary_size: int. Number of token ids.
        units: int. State width; 64 as in the lectures.
        num_layers: int. Stacked layers.
        embedding_dim: int or None. Learned embedding width, or None for one-hot input.
        dropout: float. Dropout after each recurrent layer.
        cell_api: bool. Stack `SimpleRNNCell`s in one `RNN` instead of fused layers.
        return_state: bool. Streaming form, see `CharRNN`.
    """
    return CharRNN(
        vocabulary_size,
        cell_type="simple_rnn",
        units=units,
        num_layers=num_layers,
        embedding_dim=embedding_dim,
        dropout=dropout,
        cell_api=cell_api,
        return_state=return_state,
    )


def build_lstm(
    vocabulary_size,
    units=256,
    num_layers=2,
    embedding_dim=None,
    dropout=0.0,
    cell_api=False,
    return_state=False,
):
    """Stacked LSTM language model.

    Args:
        vocabulary_size: int. Number of token ids.
        units: int. Width of each LSTM layer.
        num_layers: int. Stacked layers.
        embedding_dim: int or None. Learned embedding width, or None for one-hot input.
        dropout: float. Dropout after each LSTM layer.
        cell_api: bool. Build `RNN(StackedRNNCells([LSTMCell(units), ...]))` as
            the lectures do; the default stacks fused `LSTM` layers, which use
            cuDNN on GPU. Both take the same weights and give the same logits.
        return_state: bool. Streaming form, see `CharRNN`.
    """
    return CharRNN(
        vocabulary_size,
        cell_type="lstm",
        units=units,
        num_layers=num_layers,
        embedding_dim=embedding_dim,
        dropout=dropout,
        cell_api=cell_api,
        return_state=return_state,
    )


def build_gru(
    vocabulary_size,
    units=256,
    num_layers=1,
    embedding_dim=None,
    dropout=0.0,
    reset_after=False,
    cell_api=False,
    return_state=False,
):
    """GRU language model (update gate z, reset gate r).

    Args:
        vocabulary_size: int. Number of token ids.
        units: int. Width of each GRU layer.
        num_layers: int. Stacked layers.
        embedding_dim: int or None. Learned embedding width, or None for one-hot input.
        dropout: float. Dropout after each GRU layer.
        reset_after: bool. False (default) is the lectures' GRU, where the
            reset gate scales h_{t-1} before the recurrent product; True is the
            cuDNN variant used by the TensorFlow tutorial.
        cell_api: bool. Stack `GRUCell`s in one `RNN` instead of fused layers.
        return_state: bool. Streaming form, see `CharRNN`.
    """
    return CharRNN(
        vocabulary_size,
        cell_type="gru",
        units=units,
        num_layers=num_layers,
        embedding_dim=embedding_dim,
        dropout=dropout,
        reset_after=reset_after,
        cell_api=cell_api,
        return_state=return_state,
    )


BUILDERS = {"simple_rnn": build_simple_rnn, "lstm": build_lstm, "gru": build_gru}
