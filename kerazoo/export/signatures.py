"""The SavedModel signatures every family exports, each built by one shared function.

A family names the signatures it exports and the builder of each
(`Family.signatures`, e.g. `{"serving_default": "token_logits", "generate":
"generate_text"}`). A builder is written against a protocol, not a family:
`generate_text` serves any model with the decoding protocol
(`initial_decoding_state(batch)`, `decoding_step`), `translate_text` any
model that decodes from an encoded source, and so on; a new family that
speaks one of these protocols exports without a change here.

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `token_logits` | `serving_default` | `token_ids` int32 [batch, time] -> `logits` float32 [batch, time, vocab] |
| `generate_text` | `generate` | `prompt` string [batch], `max_length` int32, `temperature` float32, `top_k` int32 (0 = off), `top_p` float32 (1 = off), `seed` int32 -> `text` string [batch]: each prompt and its continuation, from the same decoding loop as `kerazoo.generation`, so a seed gives the same text |
| `rnn_step` | `step` | `token_ids` int32 [batch, time], `state` float32 [batch, S] -> `logits`, next `state`; the recurrent states side by side (S in `assets/kerazoo.json`) |
| `pair_logits` | `serving_default` | `encoder_token_ids`, `decoder_token_ids` int32 -> `logits` [batch, time, target vocab] |
| `translate_text` | `translate` | `source` string [batch] -> `target` string [batch], by beam search (the width is fixed at export) |
| `elmo_characters` | `serving_default` | `token_characters` int32 [batch, time, max_characters] -> ELMo's outputs |
| `elmo_sentences` | `embed` | `sentences` string [batch] (whitespace-tokenised) -> TF-Hub's ELMo outputs: `word_emb`, `lstm_outputs1..L`, `elmo`, `default`, `sequence_len` |
| `embed_words` | `embed` | `words` string [n] -> `vectors` float32 [n, dim], `known` bool [n] (zeros for an unknown word) |
| `most_similar_words` | `most_similar` | `word` string [], `topn` int32 [] -> `words` string [topn], `scores` float32 [topn] (cosine, best first, the word itself left out) |

Bad input (negative temperature, max_length out of range, empty prompts, ids
outside the vocabulary, an unknown word) fails the call with an
`InvalidArgumentError` naming the argument; the server keeps running.
TensorFlow is imported inside the builders only.
"""

import os

from kerazoo.data.characters import BOW_CHARACTER
from kerazoo.data.characters import CHARACTER_VOCABULARY_SIZE
from kerazoo.data.characters import EOW_CHARACTER
from kerazoo.data.vocabulary import OOV_ID
from kerazoo.generation.decoding import decode_into
from kerazoo.generation.decoding import prefill_prompts
from kerazoo.generation.sampling import MAX_GENERATE_LENGTH


# The most work one call may ask for, checked in the graph before anything is allocated.
# A SavedModel goes to TF Serving too, which has no limits of ours; `kerazoo export --limit KEY=N`
# changes them, and assets/kerazoo.json records them.
DEFAULT_LIMITS = {
    "max_batch": 64,  # prompts, sources, sentences or id rows per call
    "max_prompt_length": 4096,  # characters per `generate` prompt
    "max_length": MAX_GENERATE_LENGTH,  # characters `generate` makes per prompt
    "max_source_length": 512,  # characters per `translate` source
    "max_tokens": 4096,  # ids per row for `serving_default` and `step`, tokens per ELMo sentence
    "max_words": 1024,  # words per word2vec `embed` call
}


def check_limits(limits):
    """The limits with the defaults filled in; raises ValueError naming an unknown or bad limit."""
    merged = dict(DEFAULT_LIMITS)
    for key, value in (limits or {}).items():
        if key not in DEFAULT_LIMITS:
            raise ValueError(f"`limits` keys must be among {sorted(DEFAULT_LIMITS)}. Received: {key}={value!r}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"Limit `{key}` must be an integer >= 1. Received: {key}={value!r}")
        merged[key] = value
    if merged["max_length"] > MAX_GENERATE_LENGTH:
        raise ValueError(f"Limit `max_length` must be <= {MAX_GENERATE_LENGTH}. Received: max_length={merged['max_length']}")
    return merged


class ExportContext:
    """What a signature builder works with: the module being exported, its model, vocabulary and options.

    Attributes:
        module: the `tf.Module` the SavedModel saves; builders attach tables and variables to it.
        model: the model to serve (the family's `serving_model`).
        vocabulary: its vocabulary, or None.
        options: dict of export options (`beam_width`, `limits`).
        limits: dict. The most work a call may ask for (`DEFAULT_LIMITS`, as set at export).
        info: dict. Facts for `assets/kerazoo.json`; builders add to it.
        assets: dict of file name -> text, written into `assets/`.
    """

    def __init__(self, module, model, vocabulary, options=None):
        self.module, self.model, self.vocabulary = module, model, vocabulary
        self.options = dict(options or {})
        self.limits = check_limits(self.options.get("limits"))
        self.info = {"limits": self.limits}
        self.assets = {}
        self._tables = {}

    def char_table(self, vocabulary):
        """A string -> id lookup of a vocabulary's units (unknown ones -> 0), made once per vocabulary."""
        import tensorflow as tf

        key = id(vocabulary)
        if key not in self._tables:
            table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(vocabulary.tokens[1:], dtype=tf.string),
                    tf.range(1, vocabulary.size, dtype=tf.int32),
                ),
                default_value=0,
            )
            setattr(self.module, f"table_{len(self._tables)}", table)
            self._tables[key] = table
        return self._tables[key]


def _id_checks(tf, token_ids, size, name="token_ids"):
    return [
        tf.debugging.assert_non_negative(token_ids, message=f"`{name}` must be >= 0"),
        tf.debugging.assert_less(token_ids, size, message=f"`{name}` must be < the vocabulary size {size}"),
    ]


def _batch_check(tf, tensor, limit, name):
    """The batch (first dimension) of `tensor` is at most `limit`."""
    return tf.debugging.assert_less_equal(
        tf.shape(tensor)[0], limit, message=f"`{name}` must hold at most {limit} rows (the limit set at export)"
    )


def _rows_check(tf, tensor, limit, name, what="ids"):
    """Each row of `tensor` (its second dimension) holds at most `limit` entries."""
    return tf.debugging.assert_less_equal(
        tf.shape(tensor)[1], limit, message=f"every row of `{name}` must hold at most {limit} {what} (the limit set at export)"
    )


def _too_long(name, limit):
    return f"every `{name}` must hold at most {limit} characters (the limit set at export)"


def _text_check(tf, text, limit, name):
    """A cheap bound before any decoding: a character is at most 4 bytes of UTF-8."""
    return tf.debugging.assert_less_equal(tf.strings.length(text), 4 * limit, message=_too_long(name, limit))


def _after(tf, checks, *tensors):
    """`tensors`, each made to wait for `checks`: whatever is computed from them runs only if every check holds."""
    with tf.control_dependencies(checks):
        return [tf.identity(tensor) for tensor in tensors]


def printable(tf, text, length=64):
    """A string tensor made safe to put in an error message: valid UTF-8 (bad bytes replaced), at most `length` characters."""
    clean = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
    return tf.strings.substr(clean, 0, length, unit="UTF8_CHAR")


# --- Language models ---


def token_logits(ctx):
    import tensorflow as tf

    model, size = ctx.model, ctx.vocabulary.size
    ctx.info["vocabulary_size"] = size

    limits = ctx.limits

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids")])
    def serving_default(token_ids):
        sizes = [_batch_check(tf, token_ids, limits["max_batch"], "token_ids"),
                 _rows_check(tf, token_ids, limits["max_tokens"], "token_ids")]
        (token_ids,) = _after(tf, sizes, token_ids)
        (token_ids,) = _after(tf, _id_checks(tf, token_ids, size), token_ids)
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
            _batch_check(tf, prompt, limits["max_batch"], "prompt"),
            _text_check(tf, prompt, limits["max_prompt_length"], "prompt"),
        ]
        prompt, max_length = _after(tf, sizes, prompt, max_length)
        split = tf.strings.unicode_split(prompt, "UTF-8")  # bytes that are not UTF-8 count one each
        characters = tf.cast(split.row_lengths(), tf.int32)
        checks = [
            tf.debugging.assert_less_equal(characters, limits["max_prompt_length"],
                                           message=_too_long("prompt", limits["max_prompt_length"])),
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


def rnn_step(ctx):
    import tensorflow as tf

    streaming = ctx.model.streaming_model()
    ctx.module.streaming = streaming
    state_sizes = list(streaming.state_sizes)
    size, limits = ctx.vocabulary.size, ctx.limits
    ctx.info.update({"state_sizes": state_sizes, "state_width": sum(state_sizes)})

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.int32, name="token_ids"),
            tf.TensorSpec([None, sum(state_sizes)], tf.float32, name="state"),
        ]
    )
    def step(token_ids, state):
        sizes = [_batch_check(tf, token_ids, limits["max_batch"], "token_ids"),
                 _rows_check(tf, token_ids, limits["max_tokens"], "token_ids"),
                 tf.debugging.assert_equal(tf.shape(state)[0], tf.shape(token_ids)[0],
                                           message="`state` must have one row per row of `token_ids`")]
        token_ids, state = _after(tf, sizes, token_ids, state)
        (token_ids,) = _after(tf, _id_checks(tf, token_ids, size), token_ids)
        outputs = streaming([token_ids, *tf.split(state, state_sizes, axis=1)], training=False)
        return {"logits": outputs[0], "state": tf.concat(outputs[1:], axis=1)}

    return step


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
        sizes = [_batch_check(tf, token_ids, limits["max_batch"], "token_ids"),
                 _rows_check(tf, token_ids, limits["max_tokens"], "token_ids")]
        (token_ids,) = _after(tf, sizes, token_ids)
        (token_ids,) = _after(tf, _id_checks(tf, token_ids, size), token_ids)
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


# --- Sequence to sequence ---


def pair_logits(ctx):
    import tensorflow as tf

    model, vocabulary = ctx.model, ctx.vocabulary
    source_size, target_size = vocabulary.source.size, vocabulary.target.size
    ctx.info.update({"source_vocabulary_size": source_size, "target_vocabulary_size": target_size})

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.int32, name="encoder_token_ids"),
            tf.TensorSpec([None, None], tf.int32, name="decoder_token_ids"),
        ]
    )
    def serving_default(encoder_token_ids, decoder_token_ids):
        limits = ctx.limits
        sizes = [_batch_check(tf, encoder_token_ids, limits["max_batch"], "encoder_token_ids"),
                 _batch_check(tf, decoder_token_ids, limits["max_batch"], "decoder_token_ids"),
                 _rows_check(tf, encoder_token_ids, limits["max_tokens"], "encoder_token_ids"),
                 _rows_check(tf, decoder_token_ids, limits["max_tokens"], "decoder_token_ids")]
        encoder_token_ids, decoder_token_ids = _after(tf, sizes, encoder_token_ids, decoder_token_ids)
        checks = [
            tf.debugging.assert_non_negative(encoder_token_ids, message="`encoder_token_ids` must be >= 0"),
            tf.debugging.assert_less(encoder_token_ids, source_size,
                                     message="`encoder_token_ids` must be < the source vocabulary size"),
            tf.debugging.assert_non_negative(decoder_token_ids, message="`decoder_token_ids` must be >= 0"),
            tf.debugging.assert_less(decoder_token_ids, target_size,
                                     message="`decoder_token_ids` must be < the target vocabulary size"),
        ]
        with tf.control_dependencies(checks):
            inputs = {
                "encoder_token_ids": tf.identity(encoder_token_ids),
                "decoder_token_ids": tf.identity(decoder_token_ids),
            }
        return {"logits": model(inputs, training=False)}

    return serving_default


def translate_text(ctx):
    import tensorflow as tf

    from kerazoo.generation.beam_search import beam_search

    model, vocabulary, limits = ctx.model, ctx.vocabulary, ctx.limits
    beam_width = ctx.options.get("beam_width", 1)
    table = ctx.char_table(vocabulary.source)
    target_strings = tf.constant([""] + vocabulary.target.characters, dtype=tf.string)
    max_length = model.max_decoding_length - 1
    start_id, end_id = vocabulary.start_id, vocabulary.end_id
    ctx.info["beam_width"] = beam_width

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="source")])
    def translate(source):
        sizes = [_batch_check(tf, source, limits["max_batch"], "source"),
                 _text_check(tf, source, limits["max_source_length"], "source")]
        (source,) = _after(tf, sizes, source)
        characters = tf.strings.unicode_split(source, "UTF-8")
        checks = [
            tf.debugging.assert_positive(tf.size(source), message="`source` must hold at least one string"),
            tf.debugging.assert_positive(
                characters.row_lengths(), message="every `source` must hold at least one character"
            ),
            tf.debugging.assert_less_equal(characters.row_lengths(), tf.cast(limits["max_source_length"], tf.int64),
                                           message=_too_long("source", limits["max_source_length"])),
        ]
        with tf.control_dependencies(checks):
            ids = table.lookup(characters).to_tensor(default_value=0)
        state = model.initial_decoding_state(ids)
        tokens, _ = beam_search(
            model.decoding_step, state, start_id, end_id, max_length, beam_width, 0.0, (OOV_ID, start_id)
        )
        tokens = tokens[:, 1:]
        # Everything from the first end token on decodes to nothing.
        ended = tf.cumsum(tf.cast(tokens == end_id, tf.int32), axis=1) > 0
        tokens = tf.where(ended, tf.zeros_like(tokens), tokens)
        return {"target": tf.strings.reduce_join(tf.gather(target_strings, tokens), axis=1)}

    return translate


# --- ELMo ---


def sentence_characters(sentences, max_characters, limits=None):
    """sentences string [batch] -> `(characters [batch, time, max_characters], lengths [batch])`.

    Tokens are encoded exactly as `kerazoo.data.characters` encodes them: UTF-8
    bytes, so any text (even invalid UTF-8) has ids, and a token longer than
    max_characters - 2 bytes is cut.
    """
    import tensorflow as tf

    limits = limits or DEFAULT_LIMITS
    sizes = [_batch_check(tf, sentences, limits["max_batch"], "sentences"),
             # A bound in bytes before the split: 64 bytes a token on average (a token is cut at 48).
             tf.debugging.assert_less_equal(
                 tf.strings.length(sentences), 64 * limits["max_tokens"],
                 message=f"every sentence must hold at most {64 * limits['max_tokens']} bytes "
                         "(the limit set at export)")]
    (sentences,) = _after(tf, sizes, sentences)
    tokens = tf.strings.split(sentences)  # on whitespace, dropping empty pieces
    lengths = tf.cast(tokens.row_lengths(), tf.int32)
    checks = [
        tf.debugging.assert_less_equal(
            lengths, limits["max_tokens"],
            message=f"every sentence must hold at most {limits['max_tokens']} tokens (the limit set at export)"),
        tf.debugging.assert_positive(tf.size(sentences), message="`sentences` must hold at least one sentence"),
        tf.debugging.assert_positive(
            lengths, message="every sentence must hold at least one whitespace-separated token"
        ),
    ]
    with tf.control_dependencies(checks):
        flat = tf.identity(tokens.flat_values)
    limit = max_characters - 2
    size = tf.minimum(tf.strings.length(flat), limit)[:, tf.newaxis]
    # The first `limit` bytes of each token, zero-padded; byte b becomes id b + 1.
    data = tf.cast(tf.io.decode_raw(flat, tf.uint8, fixed_length=limit), tf.int32) + 1
    data = tf.pad(data, [[0, 0], [1, 1]])
    position = tf.range(max_characters)[tf.newaxis, :]
    rows = tf.where(
        position == 0,
        BOW_CHARACTER,
        tf.where(position <= size, data, tf.where(position == size + 1, EOW_CHARACTER, 0)),
    )
    return tokens.with_flat_values(rows).to_tensor(), lengths


def _elmo_run(ctx):
    import tensorflow as tf

    embedder = ctx.model
    ctx.info.update({
        "max_characters": embedder.bilm.max_characters,
        "outputs": embedder.layer_names + ["elmo", "default", "sequence_len"],
        "embedding_dim": 2 * embedder.bilm.projection_dim,
    })

    def run(characters, lengths):
        outputs = embedder(characters, training=False)
        return {**{name: tf.cast(value, tf.float32) for name, value in outputs.items()}, "sequence_len": lengths}

    return run


def elmo_sentences(ctx):
    import tensorflow as tf

    run, max_characters = _elmo_run(ctx), ctx.model.bilm.max_characters

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def embed(sentences):
        return run(*sentence_characters(sentences, max_characters, ctx.limits))

    return embed


def elmo_characters(ctx):
    import tensorflow as tf

    run, max_characters = _elmo_run(ctx), ctx.model.bilm.max_characters

    @tf.function(input_signature=[tf.TensorSpec([None, None, max_characters], tf.int32, name="token_characters")])
    def serving_default(token_characters):
        sizes = [_batch_check(tf, token_characters, ctx.limits["max_batch"], "token_characters"),
                 _rows_check(tf, token_characters, ctx.limits["max_tokens"], "token_characters", "tokens")]
        (token_characters,) = _after(tf, sizes, token_characters)
        with tf.control_dependencies(_id_checks(tf, token_characters, CHARACTER_VOCABULARY_SIZE, "token_characters")):
            token_characters = tf.identity(token_characters)
        lengths = tf.reduce_sum(tf.cast(token_characters[..., 0] != 0, tf.int32), axis=1)
        return run(token_characters, lengths)

    return serving_default


# --- Word vectors ---


def _word_vectors(ctx):
    """The word vectors as module variables and a word -> id table, made once per export."""
    import tensorflow as tf

    module, vectors = ctx.module, ctx.model
    if not hasattr(module, "word_table"):
        module.vectors = tf.Variable(vectors.vectors, trainable=False, name="vectors")
        module.unit_vectors = tf.Variable(vectors.unit_vectors, trainable=False, name="unit_vectors")
        module.words = tf.constant(vectors.index_to_key, dtype=tf.string)
        module.word_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(module.words, tf.range(len(vectors), dtype=tf.int32)),
            default_value=-1,
        )
        ctx.info.update({"vocabulary_size": len(vectors), "embedding_dim": vectors.vector_size})
        # One word per line in id order, for clients that map ids themselves.
        ctx.assets["vocabulary.txt"] = "".join(word + "\n" for word in vectors.index_to_key)
    return module


def embed_words(ctx):
    import tensorflow as tf

    module = _word_vectors(ctx)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def embed(words):
        limit = ctx.limits["max_words"]
        (words,) = _after(tf, [tf.debugging.assert_less_equal(
            tf.size(words), limit, message=f"`words` must hold at most {limit} words (the limit set at export)")], words)
        ids = module.word_table.lookup(words)
        known = ids >= 0
        found = tf.gather(module.vectors, tf.maximum(ids, 0))
        return {"vectors": tf.where(known[:, None], found, tf.zeros_like(found)), "known": known}

    return embed


def most_similar_words(ctx):
    import tensorflow as tf

    module = _word_vectors(ctx)
    size = len(ctx.model)

    @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="word"), tf.TensorSpec([], tf.int32, name="topn")])
    def most_similar(word, topn):
        index = module.word_table.lookup(word)
        checks = [
            tf.debugging.Assert(index >= 0, ["`word` is not in the vocabulary. Received: word=", printable(tf, word)]),
            tf.debugging.Assert(
                tf.logical_and(topn >= 1, topn < size),
                [f"`topn` must be in [1, {size - 1}]. Received: topn=", topn],
            ),
        ]
        with tf.control_dependencies(checks):
            scores = tf.linalg.matvec(module.unit_vectors, module.unit_vectors[tf.maximum(index, 0)])
        scores = tf.tensor_scatter_nd_update(scores, [[index]], [float("-inf")])
        best = tf.math.top_k(scores, k=topn)
        return {"words": tf.gather(module.words, best.indices), "scores": best.values}

    return most_similar


BUILDERS = {
    builder.__name__: builder
    for builder in (
        token_logits, generate_text, rnn_step, decoding_steps, pair_logits, translate_text, elmo_characters, elmo_sentences,
        embed_words, most_similar_words,
    )
}


def build_signatures(ctx, signatures):
    """Builds `signatures` (name -> builder name) into `ctx`; returns name -> `tf.function`."""
    unknown = sorted(set(signatures.values()) - set(BUILDERS))
    if unknown:
        raise ValueError(f"Unknown signature builders {unknown}; the shared ones are {sorted(BUILDERS)}.")
    functions = {name: BUILDERS[builder](ctx) for name, builder in signatures.items()}
    ctx.module.signature_functions = functions
    return functions


def write_assets(ctx, folder):
    for name, text in ctx.assets.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)
