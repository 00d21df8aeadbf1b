"""Named configurations of the LSTM encoder-decoder with attention, with their training settings."""

SEQ2SEQ_CONFIGS = {
    "dates-lstm": {
        "description": "The biLSTM + Bahdanau-attention baseline for the dates task, 128 units.",
        "model": "seq2seq_lstm",
        "model_kwargs": {"embedding_dim": 32, "units": 128, "max_sequence_length": 16},
        "training": {"epochs": 6, "batch_size": 64, "optimizer": "adam", "learning_rate": 2e-3},
    },
}
