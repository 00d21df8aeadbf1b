"""Builders for the skip-gram models; each returns a ready `keras.Model`."""

from kerazoo.models.word2vec.skipgram_model import SkipGram
from kerazoo.models.word2vec.skipgram_model import SkipGramSoftmax


def build_skipgram(vocabulary_size, embedding_dim=100, num_negative=5):
    """Skip-gram with negative sampling: separate input and output tables, a dot-product score.

    Args:
        vocabulary_size: int. Number of words.
        embedding_dim: int. Width of the word vectors (100, as gensim's default).
        num_negative: int. Negatives per (target, context) pair (5, as gensim's default).
    """
    return SkipGram(vocabulary_size, embedding_dim=embedding_dim, num_negative=num_negative)


def build_skipgram_softmax(vocabulary_size, embedding_dim=100):
    """Skip-gram with the full softmax over the vocabulary; for small vocabularies.

    Args:
        vocabulary_size: int. Number of words.
        embedding_dim: int. Width of the word vectors.
    """
    return SkipGramSoftmax(vocabulary_size, embedding_dim=embedding_dim)
