from kerazoo.models.word2vec.keyed_vectors import KeyedVectors
from kerazoo.models.word2vec.skipgram_model import SkipGram
from kerazoo.models.word2vec.skipgram_model import SkipGramSoftmax
from kerazoo.models.word2vec.skipgram_model import negative_sampling_loss
from kerazoo.models.word2vec.word2vec_builders import build_skipgram
from kerazoo.models.word2vec.word2vec_builders import build_skipgram_softmax
from kerazoo.models.word2vec.word2vec_configs import WORD2VEC_CONFIGS
