"""The SavedModel signatures of the character language models, shared by every family of the decoding protocol.

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `token_logits` | `serving_default` | `token_ids` int32 [batch, time] -> `logits` float32 [batch, time, vocab] |
| `generate_text` | `generate` | `prompt` string [batch], `max_length` int32, `temperature` float32, `top_k` int32 (0 = off), `top_p` float32 (1 = off), `seed` int32 -> `text` string [batch]: each prompt and its continuation, from the same decoding loop as `kerazoo.generation`, so a seed gives the same text |
| `decoding_steps` | `step` | `token_ids` int32 [batch, time] and the decoding state `state_0`, `state_1`, ... -> `logits` and the next state |

A model of the decoding protocol (`initial_decoding_state(batch)`,
`decoding_step`) exports `generate` and `step` here with no code of its own:
the char RNNs, the GPT, the HMM, the n-gram model and a toy family in the
tests all do. Bad input (negative temperature, max_length out of range, empty
prompts, ids outside the vocabulary) fails the call with an
`InvalidArgumentError` naming the argument; the server keeps running.
TensorFlow is imported inside the builders only.
"""

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.generation.decoding import decode_into
from kerazoo.generation.decoding import prefill_prompts
from kerazoo.signatures.context import after
from kerazoo.signatures.context import batch_check
from kerazoo.signatures.context import id_checks
from kerazoo.signatures.context import rows_check
from kerazoo.signatures.context import text_check
from kerazoo.signatures.context import too_long
from kerazoo.signatures.registry import register_signature_builder


@register_signature_builder
def token_logits(ctx):
    import tensorflow as tf

    model, size = ctx.model, ctx.vocabulary.size
    ctx.info["vocabulary_size"] = size

    limits = ctx.limits

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids")])
    def serving_default(token_ids):
        sizes = [batch_check(tf, token_ids, limits["max_batch"], "token_ids"),
                 rows_check(tf, token_ids, limits["max_tokens"], "token_ids")]
        (token_ids,) = after(tf, sizes, token_ids)
        (token_ids,) = after(tf, id_checks(tf, token_ids, size), token_ids)
        return {"logits": model(token_ids, training=False)}

    return serving_default


def prompt_units(tf, vocabulary, text):
    """`text` split into the vocabulary's units in the graph, as `vocabulary.encode` splits it in Python.

    Characters, or for a word vocabulary (`split_patterns`): spaces become one space, each character
    that stands alone gets spaces around it, and the text splits on them.
    """
    if vocabulary.split_patterns is None:
        return tf.strings.unicode_split(text, "UTF-8")
    spaces, alone = vocabulary.split_patterns
    spaced = tf.strings.regex_replace(text, spaces, " ")
    spaced = tf.strings.regex_replace(spaced, f"({alone})", r" \1 ")
    return tf.strings.split(spaced)  # on runs of whitespace, with none at either end


@register_signature_builder
def generate_text(ctx):
    import tensorflow as tf

    model, vocabulary, limits = ctx.model, ctx.vocabulary, ctx.limits
    table = ctx.char_table(vocabulary)
    # What each id decodes to, as in the vocabulary's `decode` (the out-of-vocabulary id to nothing).
    token_strings = tf.constant(vocabulary.token_texts, dtype=tf.string)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.string, name="prompt"),
            tf.TensorSpec([], tf.int32, name="max_length"),
            tf.TensorSpec([], tf.float32, name="temperature"),
            tf.TensorSpec([], tf.int32, name="top_k"),
            tf.TensorSpec([], tf.float32, name="top_p"),
            tf.TensorSpec([], tf.int32, name="seed"),
        ]
    )
    def generate(prompt, max_length, temperature, top_k, top_p, seed):
        # Sizes first, before anything grows with them.
        sizes = [
            tf.debugging.assert_greater_equal(max_length, 1, message="`max_length` must be >= 1"),
            tf.debugging.assert_less_equal(
                max_length, limits["max_length"], message=f"`max_length` must be <= {limits['max_length']}"
            ),
            batch_check(tf, prompt, limits["max_batch"], "prompt"),
            text_check(tf, prompt, limits["max_prompt_length"], "prompt"),
        ]
        prompt, max_length = after(tf, sizes, prompt, max_length)
        split = tf.strings.unicode_split(prompt, "UTF-8")  # bytes that are not UTF-8 count one each
        characters = tf.cast(split.row_lengths(), tf.int32)
        checks = [
            tf.debugging.assert_less_equal(characters, limits["max_prompt_length"],
                                           message=too_long("prompt", limits["max_prompt_length"])),
            tf.debugging.assert_greater_equal(temperature, 0.0, message="`temperature` must be >= 0 (0 means greedy)"),
            tf.debugging.assert_greater_equal(top_k, 0, message="`top_k` must be >= 0 (0 turns it off)"),
            tf.debugging.assert_greater(top_p, 0.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
            tf.debugging.assert_less_equal(top_p, 1.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
            tf.debugging.assert_positive(tf.size(prompt), message="`prompt` must hold at least one prompt"),
            tf.debugging.assert_positive(characters, message="every `prompt` must hold at least one character"),
        ]
        with tf.control_dependencies(checks):
            units = split if vocabulary.split_patterns is None else prompt_units(tf, vocabulary, prompt)
            # A prompt of no units (a word prompt of spaces) is the start of a text: the one id 0 `encode` gives.
            lengths = tf.maximum(tf.cast(units.row_lengths(), tf.int32), 1)
            ids = table.lookup(units).to_tensor(default_value=0)
            ids = tf.pad(ids, [[0, 0], [0, tf.reduce_max(lengths) - tf.shape(ids)[1]]])
            state = model.initial_decoding_state(tf.shape(ids)[0])
            # The prompts' common part in one parallel pass, then one token at a time.
            state, start = prefill_prompts(model, ids, lengths, state)
            batch = tf.shape(ids)[0]
            buffer = tf.concat([ids, tf.zeros([batch, max_length], tf.int32)], axis=1)
            tokens = decode_into(
                model.decoding_step, state, buffer, lengths, tf.shape(ids)[1] + max_length, temperature, top_k,
                seed, banned_id=OOV_ID, top_p=top_p, start=start,
            )
        positions = tf.expand_dims(lengths, 1) + tf.range(max_length)[tf.newaxis, :]
        continuation = tf.gather(tokens, positions, batch_dims=1)
        text = tf.strings.reduce_join(tf.gather(token_strings, continuation), axis=1)
        return {"text": tf.strings.join([prompt, text])}

    return generate


@register_signature_builder
def decoding_steps(ctx):
    """`step` for any model of the decoding protocol: its state travels with each call.

    Inputs: `token_ids` int32 [batch, time] and the decoding state as
    `state_0`, `state_1`, ... (the tensors of `initial_decoding_state`, batch
    first; a scalar stays a scalar). Outputs: `logits` [batch, time, vocab]
    and the next state under the same names. A stream starts from all zeros,
    so the model's initial state must be zeros (the GPT's empty cache is);
    export refuses a model whose is not.
    """
    import tensorflow as tf

    model, size, limits = ctx.model, ctx.vocabulary.size, ctx.limits
    initial = tf.nest.flatten(model.initial_decoding_state(1))
    if any(bool(tf.reduce_any(tf.cast(tensor, tf.float32) != 0.0)) for tensor in initial):
        raise ValueError(
            f"The `step` signature starts every stream from zeros, and {type(model).__name__}'s "
            "initial decoding state is not zeros."
        )
    structure = model.initial_decoding_state(1)
    specs = [tf.TensorSpec([None, None], tf.int32, name="token_ids")] + [
        tf.TensorSpec([None, *tensor.shape[1:]] if tensor.shape.rank else [], tensor.dtype, name=f"state_{i}")
        for i, tensor in enumerate(initial)
    ]
    ctx.info["step_state"] = [{"name": spec.name, "shape": spec.shape.as_list(), "dtype": spec.dtype.name}
                              for spec in specs[1:]]

    @tf.function(input_signature=specs)
    def step(token_ids, *state):
        sizes = [batch_check(tf, token_ids, limits["max_batch"], "token_ids"),
                 rows_check(tf, token_ids, limits["max_tokens"], "token_ids")]
        (token_ids,) = after(tf, sizes, token_ids)
        (token_ids,) = after(tf, id_checks(tf, token_ids, size), token_ids)
        batch, time = tf.shape(token_ids)[0], tf.shape(token_ids)[1]
        logits = tf.TensorArray(tf.float32, size=time)

        def body(t, logits, *state):
            step_logits, new_state = model.decoding_step(token_ids[:, t], tf.nest.pack_sequence_as(structure, state))
            return (t + 1, logits.write(t, tf.cast(step_logits, tf.float32)), *tf.nest.flatten(new_state))

        _, logits, *state = tf.while_loop(lambda t, *_: t < time, body, (0, logits, *state))
        stacked = tf.transpose(logits.stack(), [1, 0, 2])
        return {"logits": tf.reshape(stacked, [batch, time, -1]),
                **{f"state_{i}": tensor for i, tensor in enumerate(state)}}

    return step
