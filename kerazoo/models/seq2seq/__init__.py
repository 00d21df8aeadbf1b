from kerazoo.models.seq2seq.seq2seq_builders import build_seq2seq_lstm
from kerazoo.models.seq2seq.seq2seq_lstm_model import BahdanauDecoder
from kerazoo.models.seq2seq.seq2seq_lstm_model import Seq2SeqLSTM
from kerazoo.models.seq2seq.seq2seq_configs import SEQ2SEQ_CONFIGS
