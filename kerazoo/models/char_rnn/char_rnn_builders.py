"""Builders for the character-level recurrent models.

Each returns a ready `CharRNN` (a `keras.Model`) mapping token ids
`(batch, time)` to next-token logits `(batch, time, vocabulary_size)`, with
its cell type fixed and the defaults of its usual configuration. `CharRNN`
documents every argument.
"""

from kerazoo.models.char_rnn.char_rnn_model import CharRNN


def build_simple_rnn(vocabulary_size, units=64, num_layers=1, embedding_dim=None, dropout=0.0, cell_api=False,
                     return_state=False):
    """Elman RNN, h_t = tanh(W_xh x_t + W_hh h_{t-1} + b), then a dense head: 64 units, as in the lectures."""
    return CharRNN(cell_type="simple_rnn", **locals())


def build_lstm(vocabulary_size, units=256, num_layers=2, embedding_dim=None, dropout=0.0, cell_api=False,
               return_state=False):
    """Stacked LSTM language model: two layers of 256 cells.

    With `cell_api=True` it is `RNN(StackedRNNCells([LSTMCell(units), ...]))`
    as the lectures build it; the default stacks fused `LSTM` layers, which
    use cuDNN on GPU. Both take the same weights and give the same logits.
    """
    return CharRNN(cell_type="lstm", **locals())


def build_gru(vocabulary_size, units=256, num_layers=1, embedding_dim=None, dropout=0.0, reset_after=False,
              cell_api=False, return_state=False):
    """GRU language model (update gate z, reset gate r): one layer of 256 units.

    `reset_after=False` (the default) is the lectures' GRU, where the reset
    gate scales h_{t-1} before the recurrent product; True is the cuDNN
    variant used by the TensorFlow tutorial.
    """
    return CharRNN(cell_type="gru", **locals())


BUILDERS = {"simple_rnn": build_simple_rnn, "lstm": build_lstm, "gru": build_gru}
