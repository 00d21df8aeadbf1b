from kerazoo.models.gpt.gpt_model import GPT


def build_gpt(vocabulary_size, num_layers=6, num_heads=6, hidden_dim=384, intermediate_dim=None,
              max_sequence_length=256, dropout=0.0, use_bias=False, position_encoding="learned",
              tie_weights=True, name="gpt"):
    """Decoder-only causal Transformer LM with tied input/output embeddings (GPT-2, nanoGPT).

    The defaults are nanoGPT's shakespeare_char GPU model without its dropout
    (the `nanogpt-gpu` preset adds dropout 0.2); see `GPT` for every argument.

    Example:

    >>> model = build_gpt(65, num_layers=4, num_heads=4, hidden_dim=128, max_sequence_length=64)
    >>> model.count_params()  # nanoGPT's CPU model: 0.80M
    804096
    """
    return GPT(**locals())
