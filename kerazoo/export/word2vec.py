"""SavedModel export of word vectors, in the layout TF Serving loads: `saved_models/NAME/<version>/`.

The SavedModel holds the vectors (variables), the vocabulary (a lookup table
in the graph, and `assets/vocabulary.txt`, one word per line in id order) and
two signatures:

- `embed`: `words` string `[n]` -> `vectors` float32 `[n, dim]` and `known`
  bool `[n]`. An out-of-vocabulary word gets a zero vector and `known=False`.
- `most_similar`: `word` string `[]`, `topn` int32 `[]` -> `words` string
  `[topn]` and `scores` float32 `[topn]`, the cosine similarities, best first;
  the word itself is left out, as in `KeyedVectors.most_similar`.

An unknown `word` or a `topn` outside [1, vocabulary size - 1] fails the call
with an `InvalidArgumentError` that names the argument; the server keeps
running.
"""

import json
import os

from kerazoo.export.saved_model import _check_name
from kerazoo.export.saved_model import _require_tensorflow_backend
from kerazoo.export.saved_model import write_new_version

SIGNATURES = ("embed", "most_similar")


def build_word2vec_module(vectors):
    """A `tf.Module` holding `vectors` (a `KeyedVectors`) and the two signatures."""
    import tensorflow as tf

    size = len(vectors)
    module = tf.Module()
    module.vectors = tf.Variable(vectors.vectors, trainable=False, name="vectors")
    module.unit_vectors = tf.Variable(vectors.unit_vectors, trainable=False, name="unit_vectors")
    words = tf.constant(vectors.index_to_key, dtype=tf.string)
    module.table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(words, tf.range(size, dtype=tf.int32)), default_value=-1
    )

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def embed(words):
        ids = module.table.lookup(words)
        known = ids >= 0
        found = tf.gather(module.vectors, tf.maximum(ids, 0))
        return {"vectors": tf.where(known[:, None], found, tf.zeros_like(found)), "known": known}

    @tf.function(
        input_signature=[tf.TensorSpec([], tf.string, name="word"), tf.TensorSpec([], tf.int32, name="topn")]
    )
    def most_similar(word, topn):
        index = module.table.lookup(word)
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
        return {"words": tf.gather(words, best.indices), "scores": best.values}

    module.embed = embed
    module.most_similar = most_similar
    return module


def export_word_vectors(vectors, name, base_dir="saved_models", metadata=None):
    """Writes `vectors` (a `KeyedVectors`) as `base_dir/name/<next version>/` and returns that path.

    Args:
        vectors: `KeyedVectors`.
        name: str. The model name, a folder under `base_dir`.
        base_dir: str. Where SavedModels live.
        metadata: dict or None. Extra facts for `assets/kerazoo.json`.
    """
    _require_tensorflow_backend()
    _check_name(name)
    import tensorflow as tf

    module = build_word2vec_module(vectors)

    def write(target, assets):
        with open(os.path.join(assets, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("".join(word + "\n" for word in vectors.index_to_key))
        info = {
            "model": "word2vec",
            "vocabulary_size": len(vectors),
            "embedding_dim": vectors.vector_size,
            "signatures": list(SIGNATURES),
            **(metadata or {}),
        }
        with open(os.path.join(assets, "kerazoo.json"), "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)
        module.vocabulary_file = tf.saved_model.Asset(os.path.join(assets, "vocabulary.txt"))
        module.info_file = tf.saved_model.Asset(os.path.join(assets, "kerazoo.json"))
        tf.saved_model.save(
            module, target, signatures={"embed": module.embed, "most_similar": module.most_similar}
        )

    return write_new_version(os.path.join(base_dir, name), write)


def export_word2vec_run(run_dir, name, base_dir="saved_models"):
    """Exports the word vectors of a `kerazoo train word2vec` run folder."""
    from kerazoo.training.word2vec_trainer import load_word2vec_run

    _, vectors = load_word2vec_run(run_dir)
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return export_word_vectors(
        vectors, name, base_dir, metadata={"run_dir": os.path.abspath(run_dir), "config": config}
    )
