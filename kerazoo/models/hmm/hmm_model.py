"""A categorical hidden Markov model over characters, written as a Keras RNN.

The model has K hidden states z_t and emits one character x_t per step:

    p(z_1 = k) = π_k                       π = softmax(initial_logits)
    p(z_t = j | z_{t-1} = i) = A_ij         A = softmax(transition_logits, rows)
    p(x_t = v | z_t = k) = B_kv             B = softmax(emission_logits, rows)

The forward algorithm, scaled (Rabiner 1989, section V.A), is a recurrence on
the normalised filter f_t = p(z_t | x_1..x_t):

    q_t = f_{t-1} A            (q_1 = π)      predict the next state
    c_t = Σ_k q_t[k] B[k, x_t]                 = p(x_t | x_1..x_{t-1}), the normaliser
    f_t = q_t ⊙ B[:, x_t] / c_t                update on the character read

and log p(x_1..x_T) = Σ_t log c_t. `HMMForwardCell` is one step of it, a
Keras RNN cell whose state is f_t: the HMM is an RNN with a linear transition,
a multiplicative input and a normalisation in place of a squashing
nonlinearity ("RNNs generalize HMMs"). The language model reads characters and
outputs, at each position t, the next character's log-probabilities

    log p(x_{t+1} = v | x_1..x_t) = log (f_t A B)[v]

so it trains and decodes exactly as the char RNNs do, and its loss on a
position is the next step's log normaliser, -log c_{t+1}.

Zero state: every kerazoo generator starts decoding from a zero state (and the
`step` signature from zeros). A zero vector is not a distribution, so the cell
reads an all-zero filter as "nothing read yet" and predicts with the prior π
in place of f_0 A. A real filter always sums to 1, so the two never meet.
"""

import keras
from keras import ops

from kerazoo.generation.decoding import DecodingMixin
from kerazoo.models.presets import PresetMixin
from kerazoo.utils.arguments import check_integer

# Probabilities are floored here before a log, so that a character no state emits
# (possible after EM drives an emission to zero) costs a large loss, not a NaN.
_TINY = 1e-30


@keras.saving.register_keras_serializable(package="kerazoo")
class HMMForwardCell(keras.layers.Layer):
    """One step of the scaled forward algorithm: the filter of an HMM as an RNN state.

    It holds the HMM's parameters as logits (softmax rows give π, A and B) so
    that gradient descent needs no constraints and Baum-Welch writes its
    estimates as log-probabilities.

    Args:
        states: int. Number of hidden states K.
        vocabulary_size: int. Number of symbols V (character ids).
        initializer: initializer of the three logit tensors; the default,
            random normal with standard deviation 1, breaks the symmetry
            between states that EM and gradient descent both need broken.

    Call arguments:
        inputs: float tensor `(batch, K)`: the emission column B[:, x_t] of the
            character read (`emission_likelihoods` gathers it for a sequence).
        states: list of one `(batch, K)` tensor, the filter f_{t-1} (all zeros:
            nothing read yet, see the module docstring).

    Returns:
        `(f_t, [f_t])`: the new filter as output and as state.

    Example:

    >>> cell = HMMForwardCell(states=3, vocabulary_size=5)
    >>> layer = keras.layers.RNN(cell, return_sequences=True)
    >>> layer(cell.emission_likelihoods(np.array([[1, 2, 4]]))).shape
    (1, 3, 3)

    Reference:
        - Rabiner, "A tutorial on hidden Markov models and selected
          applications in speech recognition", Proc. IEEE 77(2), 1989.
    """

    def __init__(self, states, vocabulary_size, initializer=None, **kwargs):
        super().__init__(**kwargs)
        check_integer("states", states, minimum=1)
        check_integer("vocabulary_size", vocabulary_size, minimum=1)
        self.states = states
        self.vocabulary_size = vocabulary_size
        self.initializer = keras.initializers.get(initializer or keras.initializers.RandomNormal(stddev=1.0))
        self.state_size = states
        self.output_size = states
        self.initial_logits = self.add_weight(
            shape=(states,), initializer=self.initializer, name="initial_logits")
        self.transition_logits = self.add_weight(
            shape=(states, states), initializer=self.initializer, name="transition_logits")
        self.emission_logits = self.add_weight(
            shape=(states, vocabulary_size), initializer=self.initializer, name="emission_logits")
        self.built = True

    # The parameters as probabilities.
    def initial(self):
        return ops.softmax(ops.cast(self.initial_logits, self.compute_dtype), axis=-1)

    def transition(self):
        return ops.softmax(ops.cast(self.transition_logits, self.compute_dtype), axis=-1)

    def emission(self):
        return ops.softmax(ops.cast(self.emission_logits, self.compute_dtype), axis=-1)

    def emission_likelihoods(self, token_ids):
        """`(..., K)`: B[:, x] for every id x in `token_ids`, gathered for all positions at once."""
        return ops.take(ops.transpose(self.emission()), ops.cast(token_ids, "int32"), axis=0)

    def predict_states(self, filters):
        """q = f A, the next hidden state's distribution; π for an all-zero filter (nothing read yet)."""
        transition = self.transition()
        predicted = ops.matmul(filters, transition)
        unread = ops.sum(filters, axis=-1, keepdims=True) <= 0.0
        return ops.where(unread, ops.broadcast_to(self.initial(), ops.shape(predicted)), predicted)

    def next_token_log_probs(self, filters):
        """log p(next character) = log (f A B), for filters of any leading shape `(..., K)`."""
        return ops.log(ops.maximum(ops.matmul(self.predict_states(filters), self.emission()), _TINY))

    def call(self, inputs, states, training=False):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        joint = self.predict_states(previous) * inputs
        normaliser = ops.maximum(ops.sum(joint, axis=-1, keepdims=True), _TINY)
        filtered = joint / normaliser
        return filtered, [filtered]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.states), dtype=self.compute_dtype)]

    def get_config(self):
        return {
            **super().get_config(),
            "states": self.states,
            "vocabulary_size": self.vocabulary_size,
            "initializer": keras.initializers.serialize(self.initializer),
        }


@keras.saving.register_keras_serializable(package="kerazoo")
class HMMLanguageModel(PresetMixin, DecodingMixin, keras.Model):
    """A categorical HMM as a next-character model: token ids -> log-probabilities.

    The forward recursion runs in `keras.layers.RNN` around `HMMForwardCell`;
    the outputs are log p(x_{t+1} | x_1..x_t) `(batch, time, V)`, which are
    logits of the next character (their softmax is themselves), so the model
    compiles, trains and decodes as the char RNNs do. Each call starts from
    the prior π (the zero state).

    Args:
        vocabulary_size: int. Number of character ids, out-of-vocabulary id included.
        states: int. Number of hidden states K.

    Call arguments:
        inputs: int tensor `(batch, time)` of token ids; or the streaming form
            `[token_ids, filter]`, `filter` `(batch, K)` (zeros: the prior),
            which returns `[log_probs, filter after the last id]`, so that a long
            text is read in compiled calls with the state carried.

    Example:

    >>> model = HMMLanguageModel(vocabulary_size=10, states=4)
    >>> model(np.zeros((2, 5), "int32")).shape
    (2, 5, 10)
    """

    def __init__(self, vocabulary_size, states=64, **kwargs):
        kwargs.setdefault("name", "hmm")
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.states = states
        cell = HMMForwardCell(states, vocabulary_size, dtype=self.dtype_policy, name="forward_cell")
        self.forward = keras.layers.RNN(
            cell, return_sequences=True, return_state=True, dtype=self.dtype_policy, name="forward"
        )
        # The cell makes its weights when constructed: the model is built from the start.
        self.built = True

    @property
    def cell(self):
        """The `HMMForwardCell`, which holds the parameters."""
        return self.forward.cell

    def build(self, input_shape=None):
        self.built = True

    def filter(self, token_ids, state=None):
        """Reads `token_ids` `(batch, time)` from `state` (the zero state when None).

        Returns:
            `(log_probs, state)`: the next-character log-probabilities at every
            position `(batch, time, V)` and the filter after the last one `[(batch, K)]`.
        """
        likelihoods = self.cell.emission_likelihoods(token_ids)
        if state is None:
            filters, last = self.forward(likelihoods)
        else:
            filters, last = self.forward(likelihoods, initial_state=list(state))
        return self.cell.next_token_log_probs(filters), [last]

    def call(self, inputs, training=False):
        if isinstance(inputs, (list, tuple)):
            # The streaming form: `[token_ids, filter]` -> `[log_probs, filter after the last id]`.
            token_ids, state = inputs
            log_probs, (last,) = self.filter(token_ids, [state])
            return [log_probs, last]
        return self.filter(inputs)[0]

    def sequence_log_likelihood(self, token_ids):
        """log p(x_1..x_T) of each row `(batch,)`: Σ_t log c_t, the scaled forward algorithm's sum.

        The first character is scored by the prior (π B), each later one by the
        model's output at the position before it.
        """
        token_ids = ops.cast(token_ids, "int32")
        log_probs = self.filter(token_ids)[0]
        batch = ops.shape(token_ids)[0]
        first = self.cell.next_token_log_probs(ops.zeros((batch, self.states), dtype=self.compute_dtype))
        total = ops.take_along_axis(first, token_ids[:, :1], axis=-1)[:, 0]
        following = ops.take_along_axis(log_probs[:, :-1], ops.expand_dims(token_ids[:, 1:], -1), axis=-1)
        return total + ops.sum(following[..., 0], axis=-1)

    # --- The parameters as probabilities, for Baum-Welch and the cross-checks ---

    def probabilities(self):
        """`(π, A, B)` as NumPy arrays."""
        cell = self.cell
        return tuple(ops.convert_to_numpy(p) for p in (cell.initial(), cell.transition(), cell.emission()))

    def set_probabilities(self, initial, transition, emission, floor=1e-10):
        """Sets the logits to the logs of `(π, A, B)`; entries under `floor` are raised to it first.

        The floor keeps every logit finite (a zero probability would be -inf and
        its gradient NaN); the softmax renormalises, so a parameter moves by at
        most about K * floor.
        """
        import numpy as np

        cell = self.cell
        for variable, value in ((cell.initial_logits, initial), (cell.transition_logits, transition),
                                (cell.emission_logits, emission)):
            value = np.asarray(value, dtype="float64")
            if value.shape != tuple(variable.shape):
                raise ValueError(f"Expected shape {tuple(variable.shape)} for {variable.name}. Received: {value.shape}")
            variable.assign(np.log(np.maximum(value, floor)).astype(variable.dtype))

    # --- The decoding protocol of `kerazoo.generation` ---

    def initial_decoding_state(self, batch_size):
        """The zero filter, one `(batch, K)` tensor in a list: the cell reads it as the prior π."""
        return [ops.zeros((batch_size, self.states), dtype=self.compute_dtype)]

    def decoding_step(self, token_ids, state):
        """Reads one character per row, `(batch,)`; returns (next-character log-probabilities, [filter])."""
        likelihoods = self.cell.emission_likelihoods(token_ids)
        filtered, new_state = self.cell(likelihoods, list(state))
        return self.cell.next_token_log_probs(filtered), new_state

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
            "vocabulary_size": self.vocabulary_size,
            "states": self.states,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.dtype_policies.deserialize(config["dtype"])
        return cls(**config)


def build_hmm(vocabulary_size, states=64):
    """A categorical HMM character language model with `states` hidden states.

    Args:
        vocabulary_size: int. Number of character ids.
        states: int. Hidden states K; the model has K + K^2 + K * V parameters.
    """
    return HMMLanguageModel(vocabulary_size, states=states)
