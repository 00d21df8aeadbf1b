"""ELMo's SavedModel signatures, as TF-Hub's ELMo module serves them.

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `elmo_characters` | `serving_default` | `token_characters` int32 [batch, time, max_characters] -> ELMo's outputs |
| `elmo_sentences` | `embed` | `sentences` string [batch] (whitespace-tokenised) -> TF-Hub's ELMo outputs: `word_emb`, `lstm_outputs1..L`, `elmo`, `default`, `sequence_len` |

TensorFlow is imported inside the functions only.
"""

from kerazoo.data.characters import BOW_CHARACTER
from kerazoo.data.characters import CHARACTER_VOCABULARY_SIZE
from kerazoo.data.characters import EOW_CHARACTER
from kerazoo.signatures.context import after
from kerazoo.signatures.context import batch_check
from kerazoo.signatures.context import default_limits
from kerazoo.signatures.context import id_checks
from kerazoo.signatures.context import rows_check
from kerazoo.signatures.registry import register_signature_builder


def sentence_characters(sentences, max_characters, limits=None):
    """sentences string [batch] -> `(characters [batch, time, max_characters], lengths [batch])`.

    Tokens are encoded exactly as `kerazoo.data.characters` encodes them: UTF-8
    bytes, so any text (even invalid UTF-8) has ids, and a token longer than
    max_characters - 2 bytes is cut.
    """
    import tensorflow as tf

    limits = limits or default_limits()
    sizes = [batch_check(tf, sentences, limits["max_batch"], "sentences"),
             # A bound in bytes before the split: 64 bytes a token on average (a token is cut at 48).
             tf.debugging.assert_less_equal(
                 tf.strings.length(sentences), 64 * limits["max_tokens"],
                 message=f"every sentence must hold at most {64 * limits['max_tokens']} bytes "
                         "(the limit set at export)")]
    (sentences,) = after(tf, sizes, sentences)
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


@register_signature_builder
def elmo_sentences(ctx):
    import tensorflow as tf

    run, max_characters = _elmo_run(ctx), ctx.model.bilm.max_characters

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def embed(sentences):
        return run(*sentence_characters(sentences, max_characters, ctx.limits))

    return embed


@register_signature_builder
def elmo_characters(ctx):
    import tensorflow as tf

    run, max_characters = _elmo_run(ctx), ctx.model.bilm.max_characters

    @tf.function(input_signature=[tf.TensorSpec([None, None, max_characters], tf.int32, name="token_characters")])
    def serving_default(token_characters):
        sizes = [batch_check(tf, token_characters, ctx.limits["max_batch"], "token_characters"),
                 rows_check(tf, token_characters, ctx.limits["max_tokens"], "token_characters", "tokens")]
        (token_characters,) = after(tf, sizes, token_characters)
        with tf.control_dependencies(id_checks(tf, token_characters, CHARACTER_VOCABULARY_SIZE, "token_characters")):
            token_characters = tf.identity(token_characters)
        lengths = tf.reduce_sum(tf.cast(token_characters[..., 0] != 0, tf.int32), axis=1)
        return run(token_characters, lengths)

    return serving_default
