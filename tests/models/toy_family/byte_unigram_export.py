"""The toy family's own signature, registered from outside kerazoo: `score` gives each text's log-likelihood."""

from kerazoo.signatures.context import after
from kerazoo.signatures.context import batch_check
from kerazoo.signatures.registry import register_signature_builder


@register_signature_builder
def byte_unigram_score(ctx):
    """`text` string [batch] -> `log_likelihood` float32 [batch]: the sum of log p(byte) over the text's bytes."""
    import tensorflow as tf

    model, limits = ctx.model, ctx.limits
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant([bytes([b]) for b in range(256)]), tf.range(1, 257)),
        default_value=0,
    )
    ctx.module.byte_table = table

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def score(text):
        (text,) = after(tf, [batch_check(tf, text, limits["max_batch"], "text")], text)
        ids = table.lookup(tf.strings.bytes_split(text))
        log_probs = tf.nn.log_softmax(model(tf.zeros([1, 1], tf.int32))[0, 0])
        return {"log_likelihood": tf.reduce_sum(tf.gather(log_probs, ids), axis=1)}

    return score
