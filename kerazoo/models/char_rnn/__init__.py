from kerazoo.models.char_rnn.char_rnn_builders import BUILDERS
from kerazoo.models.char_rnn.char_rnn_builders import build_gru
from kerazoo.models.char_rnn.char_rnn_builders import build_lstm
from kerazoo.models.char_rnn.char_rnn_builders import build_simple_rnn
from kerazoo.models.char_rnn.char_rnn_model import CharRNN
from kerazoo.models.char_rnn.char_rnn_configs import CHAR_RNN_CONFIGS
