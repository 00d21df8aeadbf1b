"""One compiled program per model for the decoding loop, on every backend.

The whole loop (prompt feeding, every decoding step and sampling) runs as
one compiled program: a `tf.function` on TensorFlow, `jax.jit` on JAX (the
weights are passed in as arguments through a `keras.StatelessScope`, so a
model that keeps training never runs on stale values). Torch runs the same
loop eagerly. The program is built once per model and reused, and its
inputs (token buffer, lengths, sampling options) are tensors, so new
prompts, lengths or options do not recompile it. On JAX the token buffer
width is rounded up to a power of two, so only a new batch size or a much
longer request compiles anew.
"""

import keras
import numpy as np

from kerazoo.generation.decoding import decode_into
from kerazoo.generation.decoding import prefill_prompts

_SIGNATURE = [
    ((None, None), "int32"),  # tokens: prompts in a buffer of the output's width
    ((None,), "int32"),  # prompt_lengths
    ((), "int32"),  # total: the columns to fill
    ((), "float32"),  # temperature
    ((), "int32"),  # top_k
    ((), "float32"),  # top_p
    ((), "int32"),  # seed
]


def compile_for_backend(fn, variables, input_signature):
    """Compiles `fn(*tensors)` once for the current backend.

    Args:
        fn: a function of tensors that reads the Keras `variables`.
        variables: the variables `fn` reads. On JAX they become arguments of
            the jitted program, so it always sees their current values.
        input_signature: list of `(shape, dtype)`, used by `tf.function`.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from kerazoo.data.tf_compile import tf_function

        return tf_function(fn, input_signature)
    if backend == "jax":
        import jax

        variables = list(variables)

        def pure(values, *args):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                return fn(*args)

        jitted = jax.jit(pure)
        return lambda *args: jitted([v.value for v in variables], *args)
    return fn


class CompiledDecoder:
    """Runs `decode_into` for one model with the decoding protocol (see `kerazoo.generation.decoding`).

    Args:
        decoder: a model with `initial_decoding_state`, `decoding_step` and `variables`.
        banned_id: int or None. A token id never to sample.
    """

    def __init__(self, decoder, banned_id=None):
        self.decoder = decoder
        self.banned_id = banned_id
        # A TensorFlow graph reads the prompts' common part in one `prefill` call, whose width
        # is computed from the lengths; a jitted JAX program needs static shapes, so there
        # (and eagerly on torch) every prompt token goes through the loop. The text is the same.
        self.prefill = keras.backend.backend() == "tensorflow"
        self._run = compile_for_backend(self._loop, decoder.variables, _SIGNATURE)

    def _loop(self, tokens, prompt_lengths, total, temperature, top_k, top_p, seed):
        batch = keras.ops.shape(tokens)[0]
        state = self.decoder.initial_decoding_state(batch)
        start = 0
        if self.prefill:
            state, start = prefill_prompts(self.decoder, tokens, prompt_lengths, state)
        return decode_into(
            self.decoder.decoding_step,
            state,
            tokens,
            prompt_lengths,
            total,
            temperature,
            top_k,
            seed,
            self.banned_id,
            top_p,
            start=start,
        )

    def __call__(self, prompt_ids, prompt_lengths, max_length, temperature=1.0, top_k=0, top_p=1.0, seed=0):
        """Like `generate_ids`: returns `(batch, >= prompt_width + max_length)` int32 as NumPy."""
        prompt_ids = np.asarray(prompt_ids, dtype=np.int32)
        batch, prompt_width = prompt_ids.shape
        total = int(prompt_lengths.max()) + int(max_length)
        width = _buffer_width(total)
        tokens = np.zeros((batch, max(width, prompt_width)), dtype=np.int32)
        tokens[:, :prompt_width] = prompt_ids
        out = self._run(
            tokens,
            np.asarray(prompt_lengths, dtype=np.int32),
            np.int32(total),
            np.float32(temperature),
            np.int32(top_k),
            np.float32(top_p),
            np.int32(seed),
        )
        return keras.ops.convert_to_numpy(out)


def _buffer_width(total):
    width = 64
    while width < total:
        width *= 2
    return width
