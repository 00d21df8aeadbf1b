"""The decoding loop shared by every generator, in `keras.ops` only.

A generator supplies a step function

    step_fn(token_ids, state) -> (logits, new_state)

that reads one token per row, `(batch,)` int32, and returns next-token logits
`(batch, vocabulary)` with its updated state (RNN states, or a key/value
cache). The loop feeds each prompt token by token, then samples. The state is
carried forward, so the history is never recomputed. Prompts of different
lengths share one batch: a row keeps reading its own prompt until it ends,
and samples from then on.
"""

from keras import ops

from kerazoo.generation.sampling import sample_next


def generate_ids(
    step_fn,
    state,
    prompt_ids,
    prompt_lengths,
    max_length,
    temperature=1.0,
    top_k=0,
    seed=0,
    banned_id=None,
    top_p=1.0,
):
    """Extends each prompt by `max_length` tokens.

    Args:
        step_fn: callable `(token_ids, state) -> (logits, state)`, see module doc.
        state: the initial state, any nest of tensors.
        prompt_ids: int32 tensor `(batch, prompt_width)`, prompts padded on the right.
        prompt_lengths: int32 tensor `(batch,)`, every length >= 1.
        max_length: int or int32 scalar. New tokens per row.
        temperature, top_k, top_p, seed: see `sample_next`.
        banned_id: int, tuple of ints, or None. Token ids never to generate,
            e.g. the out-of-vocabulary id, which has no text of its own.

    Returns:
        int32 tensor `(batch, prompt_width + max_length)`. Row i holds its
        prompt followed by its continuation in the first
        `prompt_lengths[i] + max_length` positions.
    """
    prompt_ids = ops.cast(prompt_ids, "int32")
    batch = ops.shape(prompt_ids)[0]
    total = ops.shape(prompt_ids)[1] + max_length
    tokens = ops.concatenate(
        [prompt_ids, ops.zeros((batch, max_length), dtype="int32")], axis=1
    )
    return decode_into(
        step_fn, state, tokens, prompt_lengths, total, temperature, top_k, seed, banned_id, top_p
    )


def decode_into(step_fn, state, tokens, prompt_lengths, total, temperature=1.0, top_k=0, seed=0, banned_id=None,
                top_p=1.0, start=0):
    """The loop of `generate_ids`, writing into a buffer that may be wider than needed.

    A compiled caller allocates `tokens` at a fixed width (for instance the
    model's context length), so that one compiled program serves every
    prompt and length; `total` (a scalar, possibly a tensor) says how many
    columns to fill.

    Args:
        tokens: int32 `(batch, width)`: the prompts, right-padded with anything.
        total: int or int32 scalar <= width. Columns `[0, total)` are filled.
        start: int or int32 scalar. The first column to read: the state has read
            the columns before it already (see `prefill_prompts`), and every row's
            prompt is longer than `start`.
        The rest: as in `generate_ids`.
    """
    tokens = ops.cast(tokens, "int32")
    prompt_lengths = ops.cast(prompt_lengths, "int32")

    def body(t, carry):
        tokens, state = carry
        logits, state = step_fn(ops.take(tokens, t, axis=1), state)
        if banned_id is not None:
            logits = ops.where(ops.expand_dims(banned_mask(ops.shape(logits)[-1], banned_id), 0),
                               float("-inf"), ops.cast(logits, "float32"))
        sampled = sample_next(logits, temperature, top_k, seed, t, top_p)
        following = t + 1
        # Rows still inside their prompt are fed the prompt, not a sample.
        in_prompt = following < prompt_lengths
        # t runs to total - 2, so `following` is always a column of the buffer.
        next_token = ops.where(in_prompt, ops.take(tokens, following, axis=1), sampled)
        # Write one column, not the whole buffer: the loop stays linear in its length.
        tokens = ops.slice_update(tokens, (ops.zeros((), "int32"), following), ops.expand_dims(next_token, 1))
        return tokens, state

    tokens, _ = ops.fori_loop(start, total - 1, body, (tokens, state))
    return tokens


def prefill_prompts(model, tokens, prompt_lengths, state):
    """Reads the part of the prompts every row shares in length, in one call of `model.prefill`.

    Returns `(state, start)`: the state after the first `start` columns, where
    `start` is one less than the shortest prompt; the decoding loop goes on from
    there (`decode_into(..., start=start)`) and gives the same tokens as reading
    every column one step at a time. Needs a backend that slices by a computed
    size (TensorFlow's graphs do; a jitted JAX program does not).
    """
    start = ops.maximum(ops.min(ops.cast(prompt_lengths, "int32")) - 1, 0)
    return model.prefill(tokens[:, :start], state), start


class DecodingMixin:
    """The decoding protocol's optional part, with a default: `prefill`.

    A generator implements `initial_decoding_state(batch_size)` and
    `decoding_step(token_ids, state) -> (logits, state)`. `prefill(token_ids, state)`
    reads a block of tokens `(batch, n)` and returns the state after them; by
    default one `decoding_step` per column. A model that can read a block in one
    parallel pass (the GPT through its cache) overrides it.
    """

    def prefill(self, token_ids, state):
        def body(t, state):
            return self.decoding_step(ops.take(token_ids, t, axis=1), state)[1]

        return ops.fori_loop(0, ops.shape(token_ids)[1], body, state)


def banned_mask(vocabulary, banned):
    """Boolean `(vocabulary,)`, True at the banned id (an int) or ids (a tuple)."""
    ids = ops.arange(vocabulary, dtype="int32")
    mask = ops.zeros((vocabulary,), dtype="bool")
    for banned_id in (banned if isinstance(banned, (tuple, list)) else (banned,)):
        mask = ops.logical_or(mask, ids == banned_id)
    return mask


def rnn_step_fn(streaming_model):
    """A `step_fn` for models whose streaming form maps `[ids, *states]` to `[logits, *states]`."""

    def step(token_ids, state):
        outputs = streaming_model([ops.expand_dims(token_ids, 1), *state], training=False)
        return outputs[0][:, 0, :], list(outputs[1:])

    return step


def zero_state(state_sizes, batch_size):
    """Zero initial states, one `(batch, size)` tensor per entry of `state_sizes`."""
    return [ops.zeros((batch_size, size), dtype="float32") for size in state_sizes]


def check_decoder(model):
    """Returns `model` if it implements the decoding protocol, else raises a TypeError naming it.

    Every generator implements it: `initial_decoding_state(batch_size)`,
    `decoding_step(token_ids, state) -> (logits, state)` (a char RNN through its
    cells, the GPT through its key/value cache) and `prefill` (`DecodingMixin`
    gives a default).
    """
    names = ("initial_decoding_state", "decoding_step", "prefill")
    if not all(callable(getattr(model, name, None)) for name in names):
        raise TypeError(
            "`model` must implement the decoding protocol (`initial_decoding_state`, `decoding_step`, `prefill`: "
            f"see kerazoo.generation.decoding.DecodingMixin), as every kerazoo generator does. "
            f"Received: model={type(model).__name__}"
        )
    return model
