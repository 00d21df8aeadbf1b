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
from kerazoo.generation.decoding import generate_ids
from kerazoo.generation.sampling import MAX_GENERATE_LENGTH


class ExportContext:
    """What a signature builder works with: the module being exported, its model, vocabulary and options.

    Attributes:
        module: the `tf.Module` the SavedModel saves; builders attach tables and variables to it.
        model: the model to serve (the family's `serving_model`).
        vocabulary: its vocabulary, or None.
        options: dict of export options (`beam_width`).
        info: dict. Facts for `assets/kerazoo.json`; builders add to it.
        assets: dict of file name -> text, written into `assets/`.
    """

    def __init__(self, module, model, vocabulary, options=None):
        self.module, self.model, self.vocabulary = module, model, vocabulary
        self.options = dict(options or {})
        self.info = {}
        self.assets = {}
        self._tables = {}

    def char_table(self, vocabulary):
        """A string -> id lookup of a `CharVocabulary` (unknown characters -> 0), made once per vocabulary."""
        import tensorflow as tf

        key = id(vocabulary)
        if key not in self._tables:
            table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(vocabulary.characters, dtype=tf.string),
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


# --- Language models ---


def token_logits(ctx):
    import tensorflow as tf

    model, size = ctx.model, ctx.vocabulary.size
    ctx.info["vocabulary_size"] = size

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids")])
    def serving_default(token_ids):
        with tf.control_dependencies(_id_checks(tf, token_ids, size)):
            token_ids = tf.identity(token_ids)
        return {"logits": model(token_ids, training=False)}

    return serving_default


def generate_text(ctx):
    import tensorflow as tf

    model, vocabulary = ctx.model, ctx.vocabulary
    table = ctx.char_table(vocabulary)
    # The out-of-vocabulary id decodes to nothing, as in CharVocabulary.decode.
    token_strings = tf.constant([""] + vocabulary.characters, dtype=tf.string)

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
        characters = tf.strings.unicode_split(prompt, "UTF-8")
        lengths = tf.cast(characters.row_lengths(), tf.int32)
        checks = [
            tf.debugging.assert_greater_equal(temperature, 0.0, message="`temperature` must be >= 0 (0 means greedy)"),
            tf.debugging.assert_greater_equal(top_k, 0, message="`top_k` must be >= 0 (0 turns it off)"),
            tf.debugging.assert_greater(top_p, 0.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
            tf.debugging.assert_less_equal(top_p, 1.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
            tf.debugging.assert_greater_equal(max_length, 1, message="`max_length` must be >= 1"),
            tf.debugging.assert_less_equal(
                max_length, MAX_GENERATE_LENGTH, message=f"`max_length` must be <= {MAX_GENERATE_LENGTH}"
            ),
            tf.debugging.assert_positive(tf.size(prompt), message="`prompt` must hold at least one prompt"),
            tf.debugging.assert_positive(lengths, message="every `prompt` must hold at least one character"),
        ]
        with tf.control_dependencies(checks):
            ids = table.lookup(characters).to_tensor(default_value=0)
            state = model.initial_decoding_state(tf.shape(ids)[0])
            tokens = generate_ids(
                model.decoding_step, state, ids, lengths, max_length, temperature, top_k, seed,
                banned_id=OOV_ID, top_p=top_p,
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
    size = ctx.vocabulary.size
    ctx.info.update({"state_sizes": state_sizes, "state_width": sum(state_sizes)})

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.int32, name="token_ids"),
            tf.TensorSpec([None, sum(state_sizes)], tf.float32, name="state"),
        ]
    )
    def step(token_ids, state):
        with tf.control_dependencies(_id_checks(tf, token_ids, size)):
            token_ids = tf.identity(token_ids)
        outputs = streaming([token_ids, *tf.split(state, state_sizes, axis=1)], training=False)
        return {"logits": outputs[0], "state": tf.concat(outputs[1:], axis=1)}

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

    model, vocabulary = ctx.model, ctx.vocabulary
    beam_width = ctx.options.get("beam_width", 1)
    table = ctx.char_table(vocabulary.source)
    target_strings = tf.constant([""] + vocabulary.target.characters, dtype=tf.string)
    max_length = model.max_decoding_length - 1
    start_id, end_id = vocabulary.start_id, vocabulary.end_id
    ctx.info["beam_width"] = beam_width

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="source")])
    def translate(source):
        characters = tf.strings.unicode_split(source, "UTF-8")
        checks = [
            tf.debugging.assert_positive(tf.size(source), message="`source` must hold at least one string"),
            tf.debugging.assert_positive(
                characters.row_lengths(), message="every `source` must hold at least one character"
            ),
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


def sentence_characters(sentences, max_characters):
    """sentences string [batch] -> `(characters [batch, time, max_characters], lengths [batch])`.

    Tokens are encoded exactly as `kerazoo.data.characters` encodes them: UTF-8
    bytes, so any text (even invalid UTF-8) has ids, and a token longer than
    max_characters - 2 bytes is cut.
    """
    import tensorflow as tf

    tokens = tf.strings.split(sentences)  # on whitespace, dropping empty pieces
    lengths = tf.cast(tokens.row_lengths(), tf.int32)
    checks = [
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
        return run(*sentence_characters(sentences, max_characters))

    return embed


def elmo_characters(ctx):
    import tensorflow as tf

    run, max_characters = _elmo_run(ctx), ctx.model.bilm.max_characters

    @tf.function(input_signature=[tf.TensorSpec([None, None, max_characters], tf.int32, name="token_characters")])
    def serving_default(token_characters):
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
            tf.debugging.Assert(index >= 0, ["`word` is not in the vocabulary. Received: word=", word]),
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
        token_logits, generate_text, rnn_step, pair_logits, translate_text, elmo_characters, elmo_sentences,
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
