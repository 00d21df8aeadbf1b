import keras
import numpy as np
from keras import ops

from kerazoo.data.characters import BOS_CHARACTER
from kerazoo.data.characters import EOS_CHARACTER
from kerazoo.data.characters import boundary_characters
from kerazoo.data.characters import encode_sentences
from kerazoo.layers.scalar_mix import ScalarMix
from kerazoo.models.elmo.elmo_bilm import ElmoBiLM


def add_sentence_boundaries(token_characters, max_characters):
    """Wraps each row's tokens in `<S>` ... `</S>`: `(batch, T, C)` -> `(batch, T + 2, C)`.

    `<S>` goes first; `</S>` goes right after each row's last real token, so
    rows of different lengths keep their padding at the end.
    """
    real = ops.cast(ops.not_equal(token_characters[..., 0], 0), "int32")
    lengths = ops.sum(real, axis=1)
    first = ops.zeros_like(token_characters[:, :1, :])
    bos = first + ops.convert_to_tensor(boundary_characters(BOS_CHARACTER, max_characters))
    eos = first + ops.convert_to_tensor(boundary_characters(EOS_CHARACTER, max_characters))
    wrapped = ops.concatenate([bos, token_characters, first], axis=1)
    # ops.equal, not `==`: on a symbolic KerasTensor `==` is Python's identity test.
    positions = ops.cumsum(ops.ones_like(wrapped[..., 0]), axis=1) - 1
    at_end = ops.expand_dims(ops.equal(positions, ops.expand_dims(lengths + 1, 1)), -1)
    return ops.where(at_end, eos, wrapped)


@keras.saving.register_keras_serializable(package="kerazoo")
class ElmoEmbedder(keras.Model):
    """Contextual word vectors from a trained `ElmoBiLM`, with the output names of TF-Hub's ELMo module.

    Each sentence is wrapped in `<S>` ... `</S>`, as the biLM saw its training
    lines, and run through the biLM; the boundary positions are then dropped.
    The outputs, all zero at padding positions, are:

    - `word_emb` `(batch, time, 2·projection_dim)`: the character encoding
      x_k, once for each direction (layer 0 of ELMo). It depends only on the
      token's spelling, never on its context.
    - `lstm_outputs1` ... `lstm_outputsL`: [forward_j; backward_j] of layer j.
    - `elmo`: γ Σ_j s_j h_j over those L + 1 layers (`ScalarMix`; an equal mix
      with γ = 1 until a task trains it).
    - `default` `(batch, 2·projection_dim)`: the mean of `elmo` over the real tokens.

    The biLM's layers are shared, not copied: freeze them with
    `embedder.bilm.trainable = False` and train only the mix and a head.

    Args:
        bilm: a trained `ElmoBiLM` (or its serialized config).

    Call arguments:
        token_characters: int tensor `(batch, time, max_characters)`, the words
            only (no boundaries), all-zero rows for padding. Build it with
            `kerazoo.data.characters.encode_sentences`, or call `embed`.

    Example:

    >>> bilm = build_elmo(100, **ELMO_CONFIGS["elmo-small"]["model_kwargs"])
    >>> outputs = ElmoEmbedder(bilm).embed(["I watch the play", "a watch"])
    >>> sorted(outputs)
    ['default', 'elmo', 'lstm_outputs1', 'lstm_outputs2', 'sequence_len', 'word_emb']

    Reference:
        Peters et al., "Deep contextualized word representations", NAACL 2018,
        section 3.2; the TF-Hub module google/elmo.
    """

    def __init__(self, bilm, **kwargs):
        if isinstance(bilm, dict):
            bilm = keras.saving.deserialize_keras_object(bilm)
        if not isinstance(bilm, ElmoBiLM):
            raise ValueError(f"`bilm` must be an ElmoBiLM. Received: bilm={type(bilm).__name__}")
        max_characters = bilm.max_characters
        token_characters = keras.Input((None, max_characters), dtype="int32", name="token_characters")
        mask = ops.expand_dims(ops.cast(ops.not_equal(token_characters[..., 0], 0), "float32"), -1)
        x, layers = bilm.representations(add_sentence_boundaries(token_characters, max_characters))

        def strip(tensor):
            return tensor[:, 1:-1, :] * ops.cast(mask, tensor.dtype)

        outputs = {"word_emb": strip(ops.concatenate([x, x], axis=-1))}
        for j, (forward, backward) in enumerate(layers, start=1):
            outputs[f"lstm_outputs{j}"] = strip(ops.concatenate([forward, backward], axis=-1))
        scalar_mix = ScalarMix(name="scalar_mix", dtype=kwargs.get("dtype"))
        elmo = scalar_mix([outputs["word_emb"]] + [outputs[f"lstm_outputs{j}"] for j in range(1, len(layers) + 1)])
        outputs["elmo"] = elmo
        outputs["default"] = ops.sum(elmo, axis=1) / ops.maximum(ops.sum(ops.cast(mask, elmo.dtype), axis=1), 1.0)
        super().__init__(inputs=token_characters, outputs=outputs, **kwargs)
        self.bilm = bilm
        self.scalar_mix = scalar_mix

    @property
    def layer_names(self):
        """The L + 1 layers that `elmo` mixes, in order."""
        return ["word_emb"] + [f"lstm_outputs{j}" for j in range(1, self.bilm.num_layers + 1)]

    def embed(self, sentences, batch_size=64):
        """Embeds whitespace-tokenised sentences, as the SavedModel's `embed` signature does.

        Args:
            sentences: list of str; tokens are separated by whitespace, and a
                token longer than `max_characters - 2` bytes is cut. An empty
                sentence is a ValueError.
            batch_size: int. Sentences per call.

        Returns:
            dict of NumPy arrays, padded to the longest sentence: the outputs
            above and `sequence_len` `(batch,)`.
        """
        characters, lengths = encode_sentences(sentences, self.bilm.max_characters)
        chunks = []
        for start in range(0, len(characters), batch_size):
            chunk = characters[start : start + batch_size]
            width = int(lengths[start : start + batch_size].max())
            outputs = self(chunk[:, :width], training=False)
            chunks.append({name: ops.convert_to_numpy(value) for name, value in outputs.items()})
        longest = int(lengths.max())
        result = {}
        for name in chunks[0]:
            parts = [c[name] for c in chunks]
            if parts[0].ndim == 3:
                parts = [np.pad(p, ((0, 0), (0, longest - p.shape[1]), (0, 0))) for p in parts]
            result[name] = np.concatenate(parts, axis=0)
        result["sequence_len"] = lengths
        return result

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "bilm": keras.saving.serialize_keras_object(self.bilm),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
