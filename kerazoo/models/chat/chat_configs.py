"""Named configurations of the chat family, with their training settings (2 CPU cores)."""

PLAYS_CHAT_MODEL = {"num_layers": 2, "num_heads": 4, "hidden_dim": 128, "intermediate_dim": 512, "dropout": 0.1,
                    "context_turns": 2, "context_length": 64, "max_reply_length": 40}
# The seeds experiment (recipes/chat_context.py): a smaller Transformer, a few minutes a run, the name never shown.
SHORT_MODEL = {"num_layers": 1, "num_heads": 4, "hidden_dim": 128, "intermediate_dim": 256, "dropout": 0.1,
               "context_turns": 2, "context_length": 64, "max_reply_length": 40}
SHORT_TRAINING = {"vocabulary_size": 6000, "speaker_rate": 0.0, "epochs": 2, "batch_size": 64, "learning_rate": 1e-3}

CHAT_CONFIGS = {
    "plays-chat": {
        "description": "A 2+2-block Transformer (d=128, 4 heads) replying to the last 2 turns (64 ids) with up to "
                       "40 units; 6,000 ids; the replier's name opens half the training contexts.",
        "model": "chat_transformer",
        "model_kwargs": PLAYS_CHAT_MODEL,
        "training": {"vocabulary_size": 6000, "speaker_rate": 0.5, "epochs": 30, "batch_size": 64,
                     "learning_rate": 1e-3, "max_minutes": 55},
    },
    "chat-short": {
        "description": "The seeds experiment's reader: a 1+1-block Transformer (d=128), 2 epochs.",
        "model": "chat_transformer",
        "model_kwargs": SHORT_MODEL,
        "training": SHORT_TRAINING,
    },
    "chat-short-empty": {
        "description": "The same with an empty context: a language model of replies, the baseline.",
        "model": "chat_transformer",
        "model_kwargs": {**SHORT_MODEL, "context": "empty"},
        "training": SHORT_TRAINING,
    },
}
