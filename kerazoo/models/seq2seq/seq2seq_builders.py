from kerazoo.models.seq2seq.seq2seq_lstm_model import Seq2SeqLSTM


def build_seq2seq_lstm(source_vocabulary_size, target_vocabulary_size, embedding_dim=64, units=128,
                       attention_units=None, max_sequence_length=64, name="seq2seq_lstm"):
    """Bidirectional-LSTM encoder and LSTM decoder with additive (Bahdanau) attention.

    See `Seq2SeqLSTM` for the arguments.
    """
    return Seq2SeqLSTM(**locals())
