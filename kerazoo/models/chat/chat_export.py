"""The chat family's SavedModel signatures: one conversation in, the reply out, whole or one piece per call.

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `chat_logits` | `serving_default` | `encoder_token_ids`, `decoder_token_ids` int32 -> `logits` [batch, time, vocab] |
| `chat_reply` | `chat` | `turns` string [None] (one conversation, oldest first), `max_length` int32 [], `temperature` float32 [] (0 = greedy), `top_k` int32 [] (0 = off), `top_p` float32 [] (1 = off), `seed` int32 [] -> `reply` string [], `prompt_tokens`, `completion_tokens` int32 [], `finish_reason` string [] ("stop" or "length") |
| `chat_next` | `chat_step` | the same inputs and `reply` string [] (the reply so far: the pieces of earlier calls, joined) -> `token` string [] (the next piece: a word with its space, a mark, or "" at the end), `finish_reason` string [] ("" while the reply goes on, "stop" when it ended, "length" at `max_length`), `prompt_tokens`, `completion_tokens` int32 [] (the reply's ids, this one included) |

The graph splits the turns as `ChatVocabulary.context_ids` does in Python (the
model's last `context_turns` turns, its last `context_length` ids) and runs the
loop of `chat_generation`: `kerazoo.generation.decode_into` after `<start>` and
the reply so far. A reply streamed through `chat_step`, its pieces joined, is
the reply `chat` returns for the same arguments, and greedy `chat` is the
Python API's greedy reply. Before anything is allocated the graph checks the
conversation (1 to `max_turns` turns of UTF-8, each at most `max_turn_length`
characters), `max_length` (1 to the model's `max_reply_length`) and the
sampling options, and fails the call with an `InvalidArgumentError` naming
them. The speaker's name is not an input: the served bot is anyone.
"""

from kerazoo.signatures.context import after
from kerazoo.signatures.context import batch_check
from kerazoo.signatures.context import id_checks
from kerazoo.signatures.context import register_limit
from kerazoo.signatures.context import rows_check
from kerazoo.signatures.context import text_check
from kerazoo.signatures.context import too_long
from kerazoo.signatures.registry import register_signature_builder

MAX_TURNS = register_limit("max_turns", 64, "turns per `chat` conversation (the model reads only its last few)")
MAX_TURN_LENGTH = register_limit("max_turn_length", 2000, "characters per `chat` turn, and of the reply so far")


@register_signature_builder
def chat_logits(ctx):
    import tensorflow as tf

    model, size, limits = ctx.model, ctx.vocabulary.size, ctx.limits
    ctx.info.update({"vocabulary_size": size, "context_turns": model.context_turns,
                     "context_length": model.context_length, "max_reply_length": model.max_reply_length,
                     "context": model.context})

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="encoder_token_ids"),
                                  tf.TensorSpec([None, None], tf.int32, name="decoder_token_ids")])
    def serving_default(encoder_token_ids, decoder_token_ids):
        sizes = [batch_check(tf, encoder_token_ids, limits["max_batch"], "encoder_token_ids"),
                 batch_check(tf, decoder_token_ids, limits["max_batch"], "decoder_token_ids"),
                 rows_check(tf, encoder_token_ids, limits["max_tokens"], "encoder_token_ids"),
                 rows_check(tf, decoder_token_ids, model.max_decoding_length, "decoder_token_ids")]
        encoder_token_ids, decoder_token_ids = after(tf, sizes, encoder_token_ids, decoder_token_ids)
        checks = (id_checks(tf, encoder_token_ids, size, "encoder_token_ids")
                  + id_checks(tf, decoder_token_ids, size, "decoder_token_ids"))
        encoder_token_ids, decoder_token_ids = after(tf, checks, encoder_token_ids, decoder_token_ids)
        return {"logits": model({"encoder_token_ids": encoder_token_ids, "decoder_token_ids": decoder_token_ids},
                                training=False)}

    return serving_default


_INPUTS = (("turns", [None], "string"), ("max_length", [], "int32"), ("temperature", [], "float32"),
           ("top_k", [], "int32"), ("top_p", [], "float32"), ("seed", [], "int32"))


def _specs(tf, extra=()):
    return [tf.TensorSpec(shape, getattr(tf, dtype), name=name) for name, shape, dtype in _INPUTS + tuple(extra)]


class _ChatGraph:
    """What `chat` and `chat_step` share: the checks, the conversation's ids and the decoding loop."""

    def __init__(self, tf, ctx):
        from kerazoo.models.causal_lm.causal_lm_export import prompt_units
        from kerazoo.models.chat.chat_vocabulary import TURN_ID
        from kerazoo.models.chat.chat_vocabulary import UNK_ID

        self.tf, self.model, self.limits = tf, ctx.model, ctx.limits
        self.vocabulary, self.table = ctx.vocabulary, ctx.char_table(ctx.vocabulary)
        self.texts = tf.constant(ctx.vocabulary.token_texts, dtype=tf.string)
        self.turn_id, self.unk_id, self.prompt_units = TURN_ID, UNK_ID, prompt_units
        ctx.info.update({"max_reply_length": self.model.max_reply_length, "context_turns": self.model.context_turns,
                         "context_length": self.model.context_length})

    def utf8_text(self, text, name, what):
        """`text` (strings) checked to be UTF-8 of at most `max_turn_length` characters each."""
        tf, limit = self.tf, self.limits["max_turn_length"]
        (text,) = after(tf, [text_check(tf, text, limit, name)], text)
        clean = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
        valid = tf.debugging.assert_equal(tf.reduce_all(tf.equal(clean, text)), True,
                                          message=f"every {what} must be UTF-8 text")
        (text,) = after(tf, [valid], text)
        long = tf.debugging.assert_less_equal(tf.strings.length(text, unit="UTF8_CHAR"), limit,
                                              message=too_long(name, limit))
        return after(tf, [long], text)[0]

    def checked(self, turns, max_length, temperature, top_k, top_p):
        """The inputs, each made to wait for the checks of all of them."""
        tf, limits, longest = self.tf, self.limits, self.model.max_reply_length
        sizes = [
            tf.debugging.assert_positive(tf.size(turns), message="`turns` must hold at least one turn"),
            batch_check(tf, turns, limits["max_turns"], "turns"),
            tf.debugging.assert_greater_equal(max_length, 1, message="`max_length` must be >= 1"),
            tf.debugging.assert_less_equal(max_length, longest, message=f"`max_length` must be <= {longest} (the "
                                                                        "longest reply this model makes)"),
            tf.debugging.assert_greater_equal(temperature, 0.0, message="`temperature` must be >= 0 (0 means greedy)"),
            tf.debugging.assert_greater_equal(top_k, 0, message="`top_k` must be >= 0 (0 turns it off)"),
            tf.debugging.assert_greater(top_p, 0.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
            tf.debugging.assert_less_equal(top_p, 1.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
        ]
        turns, max_length, temperature, top_k, top_p = after(tf, sizes, turns, max_length, temperature, top_k, top_p)
        return self.utf8_text(turns, "turns", "turn"), max_length, temperature, top_k, top_p

    def unit_ids(self, text):
        """Ragged ids of the units of each string, as `ChatVocabulary.encode` makes them."""
        tf = self.tf
        ids = tf.ragged.map_flat_values(self.table.lookup, self.prompt_units(tf, self.vocabulary,
                                                                             tf.strings.lower(text)))
        return tf.ragged.map_flat_values(lambda flat: tf.where(flat == 0, self.unk_id, flat), ids)

    def context(self, turns):
        """`(encoder ids [1, n], prompt_tokens)`: `<turn>` and the ids of each of the last turns, the last ids kept."""
        tf, model = self.tf, self.model
        ids = self.unit_ids(turns[-model.context_turns:])
        opened = tf.concat([tf.fill([ids.nrows(), 1], tf.constant(self.turn_id, ids.dtype)), ids], axis=1)
        flat = opened.flat_values
        flat = flat[tf.maximum(tf.size(flat) - model.context_length, 0):]
        prompt_tokens = 1 if model.context == "empty" else tf.size(flat)
        return tf.cast(flat, tf.int32)[tf.newaxis], tf.cast(prompt_tokens, tf.int32)

    def decode(self, encoder_ids, prefix, total, temperature, top_k, top_p, seed):
        """The token buffer `[1, max_reply_length + 1]`: `<start>`, `prefix`, then the loop's ids up to `total`."""
        from kerazoo.generation.decoding import decode_into
        from kerazoo.models.chat.chat_vocabulary import START_ID

        tf, width = self.tf, self.model.max_decoding_length
        head = tf.concat([[START_ID], prefix], axis=0)
        tokens = tf.pad(head, [[0, width - tf.size(head)]])[tf.newaxis]
        state = self.model.initial_decoding_state(encoder_ids)
        return decode_into(self.model.decoding_step, state, tokens, tf.size(head)[tf.newaxis], total, temperature,
                           top_k, seed, top_p=top_p)

    def join(self, ids):
        """The text of reply ids, as `ChatVocabulary.decode` writes it."""
        tf = self.tf
        return tf.strings.regex_replace(tf.strings.reduce_join(tf.gather(self.texts, ids)), "^ +", "")


@register_signature_builder
def chat_reply(ctx):
    import tensorflow as tf

    from kerazoo.models.chat.chat_vocabulary import END_ID

    graph = _ChatGraph(tf, ctx)

    @tf.function(input_signature=_specs(tf))
    def chat(turns, max_length, temperature, top_k, top_p, seed):
        turns, max_length, temperature, top_k, top_p = graph.checked(turns, max_length, temperature, top_k, top_p)
        encoder_ids, prompt_tokens = graph.context(turns)
        tokens = graph.decode(encoder_ids, tf.zeros([0], tf.int32), max_length + 1, temperature, top_k, top_p, seed)
        ids = tokens[0, 1: max_length + 1]
        ended = tf.reduce_any(ids == END_ID)
        count = tf.where(ended, tf.cast(tf.argmax(tf.cast(ids == END_ID, tf.int32)), tf.int32), max_length)
        return {"reply": graph.join(ids[:count]), "prompt_tokens": prompt_tokens, "completion_tokens": count,
                "finish_reason": tf.where(ended, "stop", "length")}

    return chat


@register_signature_builder
def chat_next(ctx):
    import tensorflow as tf

    from kerazoo.models.chat.chat_vocabulary import END_ID

    graph = _ChatGraph(tf, ctx)

    @tf.function(input_signature=_specs(tf, [("reply", [], "string")]))
    def chat_step(turns, max_length, temperature, top_k, top_p, seed, reply):
        turns, max_length, temperature, top_k, top_p = graph.checked(turns, max_length, temperature, top_k, top_p)
        reply = graph.utf8_text(reply, "reply", "reply")
        made = graph.unit_ids(reply[tf.newaxis]).flat_values
        made = after(tf, [tf.debugging.assert_less(tf.size(made), max_length, message="`reply` must hold fewer ids "
                                                   "than `max_length`: it is finished")], made)[0]
        encoder_ids, prompt_tokens = graph.context(turns)
        count = tf.size(made)
        tokens = graph.decode(encoder_ids, made, count + 2, temperature, top_k, top_p, seed)
        token = tokens[0, count + 1]
        ended = token == END_ID
        piece = tf.where(ended, "", graph.texts[token])
        piece = tf.where(count == 0, tf.strings.regex_replace(piece, "^ +", ""), piece)
        finish = tf.where(ended, "stop", tf.where(count + 1 >= max_length, "length", ""))
        return {"token": piece, "finish_reason": finish, "prompt_tokens": prompt_tokens,
                "completion_tokens": count + tf.where(ended, 0, 1)}

    return chat_step
