"""The `embed` signature of an ELMo SavedModel: whitespace-tokenised sentences in, TF-Hub's outputs out.

- `embed`: `sentences` string [batch] -> `word_emb`, `lstm_outputs1` ...
  `lstm_outputsL`, `elmo` float32 [batch, time, 2·projection_dim], `default`
  float32 [batch, 2·projection_dim] and `sequence_len` int32 [batch]. Each
  sentence is split on whitespace; the outputs are padded with zeros to the
  longest sentence of the batch.
- `serving_default`: `token_characters` int32 [batch, time, max_characters]
  (as `kerazoo.data.characters.encode_sentences` makes them) -> the same outputs.

Tokens are encoded in the graph exactly as `kerazoo.data.characters` encodes them:
UTF-8 bytes, so any text (ASCII or not, even invalid UTF-8) has ids, and a
token longer than max_characters − 2 bytes is cut. A batch without
sentences, or a sentence without tokens (empty or only whitespace), fails the
call with an `InvalidArgumentError` that says so; the server keeps running.
"""

from kerazoo.data.characters import BOW_CHARACTER
from kerazoo.data.characters import CHARACTER_VOCABULARY_SIZE
from kerazoo.data.characters import EOW_CHARACTER


def as_embedder(model):
    """The `ElmoEmbedder` of an `ElmoBiLM` (or the embedder itself), or None for other models."""
    from kerazoo.models.elmo import ElmoBiLM
    from kerazoo.models.elmo import ElmoEmbedder

    if isinstance(model, ElmoEmbedder):
        return model
    if isinstance(model, ElmoBiLM):
        return ElmoEmbedder(model, name="elmo_embedder")
    return None


def sentence_characters(sentences, max_characters):
    """TensorFlow: sentences string [batch] -> `(characters [batch, time, max_characters], lengths [batch])`."""
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


def build_embed_module(embedder):
    """A `tf.Module` with the `embed` and `serving_default` signatures of an `ElmoEmbedder`."""
    import tensorflow as tf

    max_characters = embedder.bilm.max_characters
    module = tf.Module()
    module.model = embedder

    def run(characters, lengths):
        outputs = embedder(characters, training=False)
        return {**{name: tf.cast(value, tf.float32) for name, value in outputs.items()}, "sequence_len": lengths}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def embed(sentences):
        return run(*sentence_characters(sentences, max_characters))

    @tf.function(input_signature=[tf.TensorSpec([None, None, max_characters], tf.int32, name="token_characters")])
    def serving_default(token_characters):
        checks = [
            tf.debugging.assert_non_negative(token_characters, message="`token_characters` must be >= 0"),
            tf.debugging.assert_less(
                token_characters, CHARACTER_VOCABULARY_SIZE,
                message=f"`token_characters` must be < {CHARACTER_VOCABULARY_SIZE}",
            ),
        ]
        with tf.control_dependencies(checks):
            token_characters = tf.identity(token_characters)
        lengths = tf.reduce_sum(tf.cast(token_characters[..., 0] != 0, tf.int32), axis=1)
        return run(token_characters, lengths)

    module.signature_functions = {"serving_default": serving_default, "embed": embed}
    module.info = {
        "max_characters": max_characters,
        "outputs": embedder.layer_names + ["elmo", "default", "sequence_len"],
        "embedding_dim": 2 * embedder.bilm.projection_dim,
    }
    return module
