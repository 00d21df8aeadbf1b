"""Named configurations of the encoder-decoder Transformer, with their training settings."""

TRANSFORMER_CONFIGS = {
    "dates-transformer": {
        "description": "A 2+2-layer, 128-wide Transformer for the dates -> ISO 8601 task.",
        "model": "transformer",
        "model_kwargs": {
            "num_layers": 2,
            "num_heads": 4,
            "hidden_dim": 128,
            "intermediate_dim": 256,
            "dropout": 0.1,
            "max_sequence_length": 16,
        },
        "training": {"epochs": 6, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3},
    },
    "transformer-base": {
        "description": "The paper's base model: N=6, d_model 512, 8 heads, d_ff 2048, dropout 0.1.",
        "model": "transformer",
        "model_kwargs": {},
        "training": {"epochs": 10, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-4},
    },
}
