"""Named configurations of the t5 family, with their training settings."""

T5_CONFIGS = {
    "plays-t5": {
        "description": "A 2+2-layer, 128-wide Transformer pretrained by span corruption on the plays, 4 held out.",
        "model": "t5",
        "model_kwargs": {"num_layers": 2, "num_heads": 4, "hidden_dim": 128, "intermediate_dim": 256, "dropout": 0.1},
        "training": {"epochs": 100, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3, "max_minutes": 55.0},
    },
}
