"""The seq2seq family: a bidirectional-LSTM encoder and an LSTM decoder with Bahdanau attention.

The model is in `seq2seq_lstm_model.py`, the builder in `seq2seq_builders.py`,
the presets in `seq2seq_configs.py`; this family object is a `Seq2SeqFamily`
with the LSTM's flags.
"""

from kerazoo.models.family import Flag
from kerazoo.models.family import common_flags
from kerazoo.models.family import positive_int
from kerazoo.models.seq2seq.seq2seq_builders import build_seq2seq_lstm
from kerazoo.models.seq2seq.seq2seq_lstm_model import Seq2SeqLSTM
from kerazoo.models.seq2seq.seq2seq_configs import SEQ2SEQ_CONFIGS
from kerazoo.models.seq2seq_lm import SEQ2SEQ_FLAGS
from kerazoo.models.seq2seq_lm import Seq2SeqFamily


class Seq2SeqLSTMFamily(Seq2SeqFamily):
    name = "seq2seq"
    description = "An LSTM encoder-decoder with additive (Bahdanau) attention for string-to-string tasks."
    builders = {"seq2seq_lstm": build_seq2seq_lstm}
    model_classes = (Seq2SeqLSTM,)
    configs = SEQ2SEQ_CONFIGS
    flags = SEQ2SEQ_FLAGS + common_flags("units", "max_sequence_length") + (
        Flag("embedding_dim", positive_int, target="model"),
    )
    vocabulary_weights = {
        "source_embedding/embeddings": ("source", 0),
        "decoder/target_embedding/embeddings": ("target", 0),
        "decoder/logits/kernel": ("target", 1),
        "decoder/logits/bias": ("target", 0),
    }
    encoder_weights = ("source_embedding/", "encoder/")


SEQ2SEQ_FAMILY = Seq2SeqLSTMFamily()
