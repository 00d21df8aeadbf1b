"""word2vec's SavedModel signatures: the word vectors, served as gensim's KeyedVectors answer.

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `embed_words` | `embed` | `words` string [n] -> `vectors` float32 [n, dim], `known` bool [n] (zeros for an unknown word) |
| `most_similar_words` | `most_similar` | `word` string [], `topn` int32 [] -> `words` string [topn], `scores` float32 [topn] (cosine, best first, the word itself left out) |

The family's limit `max_words` bounds an `embed` call. TensorFlow is imported
inside the builders only.
"""

from kerazoo.signatures.context import after
from kerazoo.signatures.context import printable
from kerazoo.signatures.context import register_limit
from kerazoo.signatures.registry import register_signature_builder

register_limit("max_words", 1024, "words per word2vec `embed` call")


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


@register_signature_builder
def embed_words(ctx):
    import tensorflow as tf

    module = _word_vectors(ctx)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def embed(words):
        limit = ctx.limits["max_words"]
        (words,) = after(tf, [tf.debugging.assert_less_equal(
            tf.size(words), limit, message=f"`words` must hold at most {limit} words (the limit set at export)")], words)
        ids = module.word_table.lookup(words)
        known = ids >= 0
        found = tf.gather(module.vectors, tf.maximum(ids, 0))
        return {"vectors": tf.where(known[:, None], found, tf.zeros_like(found)), "known": known}

    return embed


@register_signature_builder
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
