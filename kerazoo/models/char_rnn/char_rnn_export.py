"""The char RNNs' own SavedModel signature: `step`, which carries the recurrent state between calls.

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `rnn_step` | `step` | `token_ids` int32 [batch, time], `state` float32 [batch, S] -> `logits`, next `state`; the recurrent states side by side (S in `assets/kerazoo.json`) |

`serving_default` and `generate` come from the shared builders
(`kerazoo.models.causal_lm.causal_lm_export`). TensorFlow is imported inside the builder only.
"""

from kerazoo.signatures.context import after
from kerazoo.signatures.context import batch_check
from kerazoo.signatures.context import id_checks
from kerazoo.signatures.context import rows_check
from kerazoo.signatures.registry import register_signature_builder


@register_signature_builder
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
        sizes = [batch_check(tf, token_ids, limits["max_batch"], "token_ids"),
                 rows_check(tf, token_ids, limits["max_tokens"], "token_ids"),
                 tf.debugging.assert_equal(tf.shape(state)[0], tf.shape(token_ids)[0],
                                           message="`state` must have one row per row of `token_ids`")]
        token_ids, state = after(tf, sizes, token_ids, state)
        (token_ids,) = after(tf, id_checks(tf, token_ids, size), token_ids)
        outputs = streaming([token_ids, *tf.split(state, state_sizes, axis=1)], training=False)
        return {"logits": outputs[0], "state": tf.concat(outputs[1:], axis=1)}

    return step
