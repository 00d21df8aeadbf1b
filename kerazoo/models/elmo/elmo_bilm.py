import keras
from keras import ops

from kerazoo.layers.character_cnn import CharacterCNN
from kerazoo.layers.highway import Highway
from kerazoo.layers.projected_lstm_cell import ProjectedLSTMCell
from kerazoo.layers.sampled_softmax import SampledSoftmax
from kerazoo.data.characters import CHARACTER_VOCABULARY_SIZE
from kerazoo.data.characters import MAX_CHARACTERS
from kerazoo.models.argument_config import ArgumentConfigMixin
from kerazoo.models.presets import PresetMixin
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_rate

# The character CNN of AllenNLP's full ("original") ELMo: 2048 filters over widths 1-7.
ELMO_CHARACTER_FILTERS = ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024))


@keras.saving.register_keras_serializable(package="kerazoo")
class Perplexity(keras.metrics.Mean):
    """exp of the token-weighted mean negative log-likelihood (update with the batch mean and its token count)."""

    def result(self):
        return ops.exp(super().result())


@keras.saving.register_keras_serializable(package="kerazoo")
class ElmoBiLM(ArgumentConfigMixin, PresetMixin, keras.Model):
    """ELMo's bidirectional language model: a character CNN word encoder and two LSTM stacks sharing a softmax.

    Each token's characters go through `CharacterCNN`, `num_highway` `Highway`
    layers and a linear projection to x_k (`projection_dim` wide). A forward
    stack of `num_layers` LSTMs with recurrent projections (`ProjectedLSTMCell`)
    reads x_1 ... x_N left to right, and a backward stack with its own
    parameters reads them right to left. From the second layer on, each layer's
    output adds its input (a residual connection). The top forward state at
    position k predicts token k + 1 and the top backward state predicts token
    k − 1, through one `SampledSoftmax` shared by both directions. The loss is

        −Σ_k [log p(t_k | t_1..t_{k−1}) + log p(t_k | t_{k+1}..t_N)],

    averaged over the target tokens of each direction and summed over the
    two. With `num_samples` > 0 training samples the softmax; evaluation
    always uses the full softmax, so `val_forward_perplexity` and
    `val_backward_perplexity` are exact.

    The defaults are AllenNLP's full ("original") ELMo: 2048 character
    filters, 2 highway layers, 512-wide projections, 2 layers of 4096 cells.
    See `kerazoo.models.elmo.ELMO_CONFIGS` for a small configuration.

    Args:
        vocabulary_size: int. The softmax vocabulary (ids sorted by frequency;
            0 is padding and never a target).
        character_filters: list of (width, count) pairs of the character CNN.
        character_embedding_dim: int. 16 in ELMo.
        max_characters: int. Character ids per token (50).
        num_highway: int. Highway layers after the CNN.
        projection_dim: int. The width of x_k and of every LSTM output.
        num_layers: int. LSTM layers per direction, L.
        lstm_units: int. Memory cells per LSTM layer.
        cell_clip, projection_clip: float or None. LSTM clipping (ELMo: 3).
        dropout: float. Dropout on every LSTM layer's input while training.
        num_samples: int. Sampled-softmax words per step; 0 is the full softmax.
        seed: int or None. The sampler's seed.

    Call arguments:
        token_characters: int tensor `(batch, time, max_characters)` from
            `kerazoo.data.characters.encode_characters`; an all-zero row is padding.

    Returns:
        dict with `forward` and `backward`, the top states `(batch, time, projection_dim)`.
        Train with `fit(x, {"forward": next_ids, "backward": previous_ids})`.

    Example:

    >>> model = ElmoBiLM(100, character_filters=[(1, 4), (2, 4)], projection_dim=8, lstm_units=16)
    >>> model(np.zeros((2, 5, 50), "int32"))["forward"].shape
    (2, 5, 8)

    Reference:
        Peters et al., "Deep contextualized word representations", NAACL 2018;
        allenai/bilm-tf.
    """

    def __init__(
        self,
        vocabulary_size,
        character_filters=ELMO_CHARACTER_FILTERS,
        character_embedding_dim=16,
        max_characters=MAX_CHARACTERS,
        num_highway=2,
        projection_dim=512,
        num_layers=2,
        lstm_units=4096,
        cell_clip=3.0,
        projection_clip=3.0,
        dropout=0.1,
        num_samples=0,
        seed=None,
        **kwargs,
    ):
        check_integer("vocabulary_size", vocabulary_size, minimum=1)
        check_integer("character_embedding_dim", character_embedding_dim, minimum=1)
        check_integer("max_characters", max_characters, minimum=1)
        check_integer("num_highway", num_highway, minimum=0)
        check_integer("projection_dim", projection_dim, minimum=1)
        check_integer("num_layers", num_layers, minimum=1)
        check_integer("lstm_units", lstm_units, minimum=1)
        check_rate("dropout", dropout)
        character_filters = [[int(w), int(n)] for w, n in character_filters]
        dtype = kwargs.pop("dtype", None)

        character_cnn = CharacterCNN(
            character_filters, CHARACTER_VOCABULARY_SIZE, character_embedding_dim, name="character_cnn", dtype=dtype
        )
        highways = [Highway(name=f"highway_{i}", dtype=dtype) for i in range(num_highway)]
        token_projection = keras.layers.Dense(projection_dim, name="token_projection", dtype=dtype)

        def lstm(direction, i):
            cell = ProjectedLSTMCell(
                lstm_units, projection_dim, cell_clip, projection_clip, name=f"{direction}_cell_{i}", dtype=dtype
            )
            return keras.layers.RNN(
                cell, return_sequences=True, go_backwards=direction == "backward",
                name=f"{direction}_lstm_{i}", dtype=dtype,
            )

        forward_layers = [lstm("forward", i) for i in range(num_layers)]
        backward_layers = [lstm("backward", i) for i in range(num_layers)]
        lstm_dropout = keras.layers.Dropout(dropout, name="lstm_input_dropout", dtype=dtype)
        softmax = SampledSoftmax(vocabulary_size, num_samples, seed=seed, name="softmax", dtype=dtype)

        parts = (character_cnn, highways, token_projection, forward_layers, backward_layers, lstm_dropout)
        token_characters = keras.Input((None, max_characters), dtype="int32", name="token_characters")
        _, layers = _representations(parts, token_characters)
        super().__init__(
            inputs=token_characters,
            outputs={"forward": layers[-1][0], "backward": layers[-1][1]},
            dtype=dtype,
            **kwargs,
        )
        softmax.build((None, None, projection_dim))
        (self.character_cnn, self.highways, self.token_projection,
         self.forward_layers, self.backward_layers, self.lstm_dropout) = parts
        self.softmax = softmax
        self.forward_perplexity = Perplexity(name="forward_perplexity")
        self.backward_perplexity = Perplexity(name="backward_perplexity")
        self.keep_arguments(locals())

    def representations(self, token_characters, training=None):
        """The biLM's layers for `token_characters` `(batch, time, max_characters)`.

        Returns:
            `(x, [(forward_1, backward_1), ..., (forward_L, backward_L)])`:
            the token encodings x `(batch, time, projection_dim)` and each
            layer's states in both directions, same shape.
        """
        parts = (self.character_cnn, self.highways, self.token_projection,
                 self.forward_layers, self.backward_layers, self.lstm_dropout)
        return _representations(parts, token_characters, training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Forward NLL + backward NLL, each averaged over its target tokens (targets of 0 are ignored)."""
        total = 0.0
        for direction, tracker in (("forward", self.forward_perplexity), ("backward", self.backward_perplexity)):
            targets = y[direction]
            nll = self.softmax.nll(y_pred[direction], targets, training=training)
            count = ops.sum(ops.cast(ops.not_equal(targets, 0), "float32"))
            mean = ops.sum(nll) / ops.maximum(count, 1.0)
            tracker.update_state(mean, sample_weight=count)
            total = total + mean
        if self.losses:
            total = total + ops.sum(self.losses)
        return total


def _representations(parts, token_characters, training=None):
    character_cnn, highways, token_projection, forward_layers, backward_layers, lstm_dropout = parts
    # A padding token is an all-zero row; every real token starts with the begin-of-word mark.
    mask = ops.not_equal(token_characters[..., 0], 0)
    x = character_cnn(token_characters)
    for highway in highways:
        x = highway(x)
    x = token_projection(x)
    forward, backward = x, x
    layers = []
    for i, (forward_lstm, backward_lstm) in enumerate(zip(forward_layers, backward_layers)):
        new_forward = forward_lstm(lstm_dropout(forward, training=training), mask=mask, training=training)
        # go_backwards reads the sequence from its end and returns the states in
        # that reversed order; flip them back so position k lines up with token k.
        new_backward = ops.flip(
            backward_lstm(lstm_dropout(backward, training=training), mask=mask, training=training), axis=1
        )
        if i > 0:
            new_forward, new_backward = new_forward + forward, new_backward + backward
        forward, backward = new_forward, new_backward
        layers.append((forward, backward))
    return x, layers
