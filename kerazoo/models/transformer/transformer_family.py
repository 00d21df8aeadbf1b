"""The transformer family: the encoder-decoder Transformer of "Attention Is All You Need".

The model and its cached decoding are in `transformer_model.py`, the builder
in `transformer_builders.py`, the presets in `transformer_configs.py`; this
family object is a `Seq2SeqFamily` with the Transformer's flags.
"""

from kerazoo.models.family import common_flags
from kerazoo.models.seq2seq_lm import SEQ2SEQ_FLAGS
from kerazoo.models.seq2seq_lm import Seq2SeqFamily
from kerazoo.models.transformer.transformer_builders import build_transformer
from kerazoo.models.transformer.transformer_model import Transformer
from kerazoo.models.transformer.transformer_configs import TRANSFORMER_CONFIGS


class TransformerFamily(Seq2SeqFamily):
    name = "transformer"
    description = "The encoder-decoder Transformer (Vaswani et al., 2017) for string-to-string tasks."
    builders = {"transformer": build_transformer}
    model_classes = (Transformer,)
    configs = TRANSFORMER_CONFIGS
    flags = SEQ2SEQ_FLAGS + common_flags("num_layers", "num_heads", "hidden_dim", "dropout", "max_sequence_length")
    vocabulary_weights = {
        "source_embedding/embeddings": ("source", 0),
        "target_embedding/embeddings": ("target", 0),
        "target_embedding/reverse_embeddings": ("target", 1),  # absent when the output is tied to the embedding
    }
    encoder_weights = ("source_embedding/", "encoder_block_", "encoder_norm/")


TRANSFORMER_FAMILY = TransformerFamily()
