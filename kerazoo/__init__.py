"""kerazoo: a Keras model zoo for the classic sequence models."""

from kerazoo.data.vocabulary import CharVocabulary
from kerazoo.models.char_rnn import CharRNN
from kerazoo.models.char_rnn import build_gru
from kerazoo.models.char_rnn import build_lstm
from kerazoo.models.char_rnn import build_simple_rnn
from kerazoo.models.elmo import ElmoBiLM
from kerazoo.models.elmo import ElmoEmbedder
from kerazoo.models.elmo import build_elmo
from kerazoo.models.elmo import build_elmo_embedder
from kerazoo.models.gpt import GPT
from kerazoo.models.gpt import build_gpt
from kerazoo.models.seq2seq import Seq2SeqLSTM
from kerazoo.models.seq2seq import build_seq2seq_lstm
from kerazoo.models.transformer import Transformer
from kerazoo.models.transformer import build_transformer
from kerazoo.models.word2vec import KeyedVectors
from kerazoo.models.word2vec import build_skipgram
from kerazoo.models.word2vec import build_skipgram_softmax

__version__ = "0.1.0"
