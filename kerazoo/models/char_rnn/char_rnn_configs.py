"""Named configurations of the char models.

A preset names a builder (`model`), the builder's keyword arguments
(`model_kwargs`), and training settings (`training`) that `kerazoo train`
uses unless the command line overrides them.
"""

CHAR_RNN_CONFIGS = {
    "quick": {
        "description": "CPU preset for the main job: 1x512 LSTM, a few minutes on 2 cores.",
        "model": "lstm",
        "model_kwargs": {"units": 512, "num_layers": 1, "embedding_dim": 64},
        "training": {
            "seq_length": 100,
            "batch_size": 64,
            "optimizer": "adam",
            "learning_rate": 3e-3,
            "clipnorm": 5.0,
            "epochs": 4,
            "steps_per_epoch": 100,
        },
    },
    "rnn-lecture": {
        "description": "The lectures' SimpleRNN: 1 layer, 64 units, one-hot input, context T=50.",
        "model": "simple_rnn",
        "model_kwargs": {"units": 64, "num_layers": 1, "embedding_dim": None},
        "training": {
            "seq_length": 50,
            "batch_size": 64,
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "clipnorm": 5.0,
            "epochs": 1,
        },
    },
    "char-rnn": {
        "description": "Karpathy's char-rnn defaults: 2x128 LSTM, one-hot input, seq 50, batch 50, "
        "RMSProp 2e-3, gradients clipped at 5.",
        "model": "lstm",
        "model_kwargs": {"units": 128, "num_layers": 2, "embedding_dim": None, "dropout": 0.0},
        "training": {
            "seq_length": 50,
            "batch_size": 50,
            "optimizer": "rmsprop",
            "learning_rate": 2e-3,
            # char-rnn clamps every gradient element to [-5, 5].
            "clipvalue": 5.0,
            "epochs": 50,
        },
    },
    "tf-tutorial-gru": {
        "description": "The TensorFlow text-generation tutorial: embedding 256, GRU 1024 "
        "(cuDNN form), seq 100, batch 64, Adam.",
        "model": "gru",
        "model_kwargs": {"units": 1024, "num_layers": 1, "embedding_dim": 256, "reset_after": True},
        "training": {
            "seq_length": 100,
            "batch_size": 64,
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "epochs": 20,
        },
    },
    "lstm-2x512": {
        "description": "2x512 LSTM with dropout 0.2, the preset aimed at val loss <= 1.45 on tiny_shakespeare.",
        "model": "lstm",
        "model_kwargs": {"units": 512, "num_layers": 2, "embedding_dim": 64, "dropout": 0.2},
        "training": {
            "seq_length": 100,
            "batch_size": 64,
            "optimizer": "adam",
            "learning_rate": 2e-3,
            "clipnorm": 5.0,
            "epochs": 30,
        },
    },
}
