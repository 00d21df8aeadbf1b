"""Named configurations of the captioners, with their training settings (2 CPU cores, at most an hour)."""

CAPTIONER_CONFIGS = {
    "shapes-captioner": {
        "description": "Show, Attend and Tell on the shapes scenes: a 4-convolution grid encoder (8x8 cells) and an "
                       "LSTM decoder (256 units) with additive attention; the decoder sees the image only through "
                       "attention.",
        "model": "captioner",
        "model_kwargs": {"embedding_dim": 64, "units": 256, "filters": [32, 64, 96, 128], "feature_dim": 128,
                         "initial_state": "learned", "max_sequence_length": 28},
        # A constant rate: the decay tried on 2026-12-07 (`--decay-epochs 11 --final-learning-rate 1e-4 --epochs 20`)
        # read worse on these busy cores (docs/captioner.md, Results).
        "training": {"epochs": 30, "batch_size": 64, "optimizer": "adam", "learning_rate": 2e-3, "max_minutes": 55},
    },
    "shapes-caption-transformer": {
        "description": "The same encoder and a 2-block Transformer decoder (d=128, 4 heads) cross-attending to the grid.",
        "model": "caption_transformer",
        "model_kwargs": {"num_layers": 2, "num_heads": 4, "hidden_dim": 128, "intermediate_dim": 256,
                         "filters": [32, 64, 96, 128], "max_sequence_length": 28},
        "training": {"epochs": 30, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3, "max_minutes": 55},
    },
}
