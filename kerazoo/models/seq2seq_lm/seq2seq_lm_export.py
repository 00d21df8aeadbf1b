"""The SavedModel signatures of the encoder-decoders (the Transformer, the LSTM with attention).

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `pair_logits` | `serving_default` | `encoder_token_ids`, `decoder_token_ids` int32 -> `logits` [batch, time, target vocab] |
| `translate_text` | `translate` | `source` string [batch] -> `target` string [batch], by beam search (the width is fixed at export) |

Any model that decodes from an encoded source (`initial_decoding_state(source_ids)`,
`decoding_step`) exports `translate` here. TensorFlow is imported inside the builders only.
"""

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.signatures.context import after
from kerazoo.signatures.context import batch_check
from kerazoo.signatures.context import rows_check
from kerazoo.signatures.context import text_check
from kerazoo.signatures.context import too_long
from kerazoo.signatures.registry import register_signature_builder


@register_signature_builder
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
        sizes = [batch_check(tf, encoder_token_ids, limits["max_batch"], "encoder_token_ids"),
                 batch_check(tf, decoder_token_ids, limits["max_batch"], "decoder_token_ids"),
                 rows_check(tf, encoder_token_ids, limits["max_tokens"], "encoder_token_ids"),
                 rows_check(tf, decoder_token_ids, limits["max_tokens"], "decoder_token_ids")]
        encoder_token_ids, decoder_token_ids = after(tf, sizes, encoder_token_ids, decoder_token_ids)
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


@register_signature_builder
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
        sizes = [batch_check(tf, source, limits["max_batch"], "source"),
                 text_check(tf, source, limits["max_source_length"], "source")]
        (source,) = after(tf, sizes, source)
        characters = tf.strings.unicode_split(source, "UTF-8")
        checks = [
            tf.debugging.assert_positive(tf.size(source), message="`source` must hold at least one string"),
            tf.debugging.assert_positive(
                characters.row_lengths(), message="every `source` must hold at least one character"
            ),
            tf.debugging.assert_less_equal(characters.row_lengths(), tf.cast(limits["max_source_length"], tf.int64),
                                           message=too_long("source", limits["max_source_length"])),
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
