"""Character-level recurrent language models: SimpleRNN, LSTM and GRU stacks.

token ids (batch, time) -> embedding or one-hot -> N recurrent layers
(with dropout between them) -> dense head -> next-token logits
(batch, time, vocabulary).

The recurrent layers are Keras's own, which implement these equations
(x_t the input, h_t the state, σ the logistic sigmoid, ⊙ elementwise):

SimpleRNN:  h_t = tanh(W_xh x_t + W_hh h_{t-1} + b)

LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.):
    i_t = σ(W_xi x_t + W_hi h_{t-1} + b_i)      input gate
    f_t = σ(W_xf x_t + W_hf h_{t-1} + b_f)      forget gate
    g_t = tanh(W_xg x_t + W_hg h_{t-1} + b_g)   candidate cell
    o_t = σ(W_xo x_t + W_ho h_{t-1} + b_o)      output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

GRU (Cho et al. 2014), `reset_after=False`, the lectures' form:
    z_t = σ(W_xz x_t + W_hz h_{t-1} + b_z)      update gate
    r_t = σ(W_xr x_t + W_hr h_{t-1} + b_r)      reset gate
    h̃_t = tanh(W_xh x_t + W_hh (r_t ⊙ h_{t-1}) + b_h)
    h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ h̃_t
With `reset_after=True` (cuDNN's form) the reset gate multiplies after the
recurrent product: h̃_t = tanh(W_xh x_t + r_t ⊙ (W_hh h_{t-1} + b_rh) + b_h).
"""

import keras
from keras import layers
from keras import ops

from kerazoo.generation.decoding import DecodingMixin
from kerazoo.layers.one_hot import OneHot
from kerazoo.models.argument_config import ArgumentConfigMixin
from kerazoo.models.presets import PresetMixin
from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_rate

CELL_TYPES = ("simple_rnn", "lstm", "gru")
_FUSED = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
_CELLS = {"simple_rnn": layers.SimpleRNNCell, "lstm": layers.LSTMCell, "gru": layers.GRUCell}
# The state tensors each layer carries, in Keras's order.
STATE_NAMES = {"simple_rnn": ("h",), "lstm": ("h", "c"), "gru": ("h",)}


@keras.saving.register_keras_serializable(package="kerazoo")
class CharRNN(ArgumentConfigMixin, PresetMixin, DecodingMixin, keras.Model):
    """A stacked recurrent next-token model (a functional `keras.Model`).

    Args:
        vocabulary_size: int. Number of token ids, out-of-vocabulary id included.
        cell_type: str. `"simple_rnn"`, `"lstm"` or `"gru"`.
        units: int. Width of every recurrent layer.
        num_layers: int. How many recurrent layers are stacked.
        embedding_dim: int or None. Width of a learned embedding; None feeds
            one-hot vectors instead, as char-rnn does.
        dropout: float. Dropout rate after each recurrent layer (between layers
            and before the head).
        cell_api: bool. Build the stack as
            `RNN(StackedRNNCells([Cell(units), ...]))`, as the lectures do,
            instead of stacking fused layers (which can use cuDNN on GPU). Both
            take the same weights and give the same logits at inference; in
            training the cell path applies the between-layer dropout as each
            cell's input dropout.
        reset_after: bool. GRU only: `False` is the lectures' GRU, `True` the
            cuDNN-compatible variant.
        return_state: bool. Build the streaming form: inputs are
            `[token_ids, *states]` and outputs `[logits, *new_states]`, one
            `(batch, units)` tensor per state (h, or h and c for the LSTM) per
            layer, in layer order.

    Call arguments:
        token_ids: int tensor `(batch, time)`, or `[token_ids, *states]` when
            `return_state=True`.

    Example:

    >>> model = CharRNN(vocabulary_size=10, cell_type="lstm", units=4, num_layers=2)
    >>> model(np.zeros((2, 5), "int32")).shape
    (2, 5, 10)

    Reference:
        - Karpathy, "The Unreasonable Effectiveness of Recurrent Neural
          Networks" (2015) and github.com/karpathy/char-rnn.
    """

    def __init__(
        self,
        vocabulary_size,
        cell_type="lstm",
        units=256,
        num_layers=2,
        embedding_dim=None,
        dropout=0.0,
        cell_api=False,
        reset_after=False,
        return_state=False,
        **kwargs,
    ):
        check_integer("vocabulary_size", vocabulary_size, minimum=1)
        check_choice("cell_type", cell_type, CELL_TYPES)
        check_integer("units", units, minimum=1)
        check_integer("num_layers", num_layers, minimum=1)
        check_integer("embedding_dim", embedding_dim, minimum=0, allow_none=True)
        check_rate("dropout", dropout)
        state_names = STATE_NAMES[cell_type]
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        state_inputs = []
        if return_state:
            state_inputs = [
                keras.Input(shape=(units,), name=f"{name}_{i}")
                for i in range(num_layers)
                for name in state_names
            ]
        if embedding_dim:
            x = layers.Embedding(vocabulary_size, embedding_dim, name="token_embedding")(
                token_ids
            )
        else:
            x = OneHot(vocabulary_size, name="one_hot")(token_ids)

        extra = {"reset_after": reset_after} if cell_type == "gru" else {}
        per_layer = len(state_names)
        new_states = []
        if cell_api:
            cells = [
                _CELLS[cell_type](units, dropout=dropout if i else 0.0, name=f"cell_{i}", **extra)
                for i in range(num_layers)
            ]
            rnn = layers.RNN(
                layers.StackedRNNCells(cells, name="stacked_cells"),
                return_sequences=True,
                return_state=return_state,
                name="rnn",
            )
            if return_state:
                initial = [
                    _one_or_list(state_inputs[i * per_layer : (i + 1) * per_layer])
                    for i in range(num_layers)
                ]
                x, *layer_states = rnn(x, initial_state=initial)
                for states in layer_states:
                    new_states.extend(states if isinstance(states, (list, tuple)) else [states])
            else:
                x = rnn(x)
            x = layers.Dropout(dropout, name="dropout")(x)
        else:
            for i in range(num_layers):
                rnn = _FUSED[cell_type](
                    units, return_sequences=True, return_state=return_state, name=f"rnn_{i}", **extra
                )
                if return_state:
                    x, *states = rnn(
                        x, initial_state=state_inputs[i * per_layer : (i + 1) * per_layer]
                    )
                    new_states.extend(states)
                else:
                    x = rnn(x)
                x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
        # float32 logits keep the softmax stable under mixed precision.
        logits = layers.Dense(vocabulary_size, dtype="float32", name="logits")(x)

        kwargs.setdefault("name", f"char_{cell_type}")
        if return_state:
            super().__init__(inputs=[token_ids, *state_inputs], outputs=[logits, *new_states], **kwargs)
        else:
            super().__init__(inputs=token_ids, outputs=logits, **kwargs)

        self.keep_arguments(locals())

    # The decoding protocol of `kerazoo.generation`: one token per row through the cells.
    def initial_decoding_state(self, batch_size):
        """Zero recurrent states, one `(batch, units)` tensor per entry of `state_sizes`."""
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in self.state_sizes]

    def decoding_step(self, token_ids, state):
        """Reads one token per row, `(batch,)`, and returns (next-token logits, new states).

        It runs the model's own cells on one position (the fused layers hold
        their weights in a cell), so it always uses the current weights and
        gives the logits the full model gives at that position.
        """
        x = self._input_layer(ops.expand_dims(token_ids, 1))[:, 0, :]
        per_layer = len(STATE_NAMES[self.cell_type])
        new_state = []
        for i, cell in enumerate(self._cells()):
            layer_state = list(state[i * per_layer : (i + 1) * per_layer])
            x, layer_state = cell(x, layer_state, training=False)
            new_state.extend(layer_state if isinstance(layer_state, (list, tuple)) else [layer_state])
        return self.get_layer("logits")(x), new_state

    @property
    def _input_layer(self):
        return self.get_layer("token_embedding" if self.embedding_dim else "one_hot")

    def _cells(self):
        if self.cell_api:
            return list(self.get_layer("rnn").cell.cells)
        return [self.get_layer(f"rnn_{i}").cell for i in range(self.num_layers)]

    @property
    def state_sizes(self):
        """Widths of the state tensors, in the order the streaming form takes them."""
        return [self.units] * (self.num_layers * len(STATE_NAMES[self.cell_type]))

    def streaming_model(self):
        """The `return_state=True` twin of this model, sharing its weights' values."""
        if self.return_state:
            return self
        config = self.get_config()
        config.update({"return_state": True, "name": f"{self.name}_streaming"})
        twin = CharRNN.from_config(config)
        twin.set_weights(self.get_weights())
        return twin


def _one_or_list(states):
    return states[0] if len(states) == 1 else list(states)
