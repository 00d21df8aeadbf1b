from kerazoo.models.transformer.transformer_model import Transformer


def build_transformer(source_vocabulary_size, target_vocabulary_size, num_layers=6, num_heads=8, hidden_dim=512,
                      intermediate_dim=2048, dropout=0.1, normalize_first=False, tie_output=False,
                      max_sequence_length=512, name="transformer"):
    """Encoder-decoder Transformer; the defaults are the paper's base model (N=6, d_model 512, 8 heads, d_ff 2048).

    See `Transformer` for the arguments, and the `dates-transformer` preset
    for a small configuration that trains on a CPU in minutes.
    """
    return Transformer(**locals())
