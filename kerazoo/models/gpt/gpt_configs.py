"""Named configurations of the GPT.

The two nanoGPT presets copy `config/train_shakespeare_char.py` of nanoGPT
(the GPU run) and the CPU command in its README (4 layers, 4 heads, 128 wide,
context 64, batch 12, 2000 iterations, no dropout). Both use AdamW at 1e-3
with 100 warmup steps, cosine decay to 1e-4, beta2 = 0.99, weight decay 0.1
and gradients clipped at a global norm of 1 (weight decay only on
matrices and embeddings, as nanoGPT's `configure_optimizers` does). Batches
are windows at random starts, as nanoGPT's `get_batch` draws them.
"""

# What both nanoGPT runs share: nanoGPT's split, schedule, clipping and batch drawing.
_NANOGPT_TRAINING = {
    "corpus": "tiny_shakespeare",
    "validation_split": "heldout",
    "epochs": 1,
    "optimizer": "nanogpt_adamw_cosine",
    "learning_rate": 1e-3,
    "clipnorm": 1.0,
    "sampling": "random",
    "steps_per_execution": 25,
    "jit_compile": True,
    "sample_every": 0,
}

GPT_CONFIGS = {
    "nanogpt-cpu": {
        "description": "nanoGPT's shakespeare_char CPU run: 4 layers, 4 heads, 128 wide, context 64.",
        "model": "gpt",
        "model_kwargs": {"num_layers": 4, "num_heads": 4, "hidden_dim": 128, "max_sequence_length": 64, "dropout": 0.0},
        "training": {**_NANOGPT_TRAINING, "seq_length": 64, "batch_size": 12, "steps_per_epoch": 2000},
    },
    "nanogpt-gpu": {
        "description": "nanoGPT's shakespeare_char GPU run: 6 layers, 6 heads, 384 wide, context 256, dropout 0.2.",
        "model": "gpt",
        "model_kwargs": {"num_layers": 6, "num_heads": 6, "hidden_dim": 384, "max_sequence_length": 256, "dropout": 0.2},
        "training": {**_NANOGPT_TRAINING, "seq_length": 256, "batch_size": 64, "steps_per_epoch": 5000},
    },
    "gpt-6x256": {
        "description": "A 6-layer, 256-wide GPT with context 128 that trains on 2 CPU cores in about 80 minutes.",
        "model": "gpt",
        "model_kwargs": {"num_layers": 6, "num_heads": 4, "hidden_dim": 256, "max_sequence_length": 128, "dropout": 0.1},
        "training": {**_NANOGPT_TRAINING, "seq_length": 128, "batch_size": 32, "steps_per_epoch": 8000},
    },
    "gpt-tiny": {
        "description": "A 2-layer, 64-wide GPT for a first run on a laptop in a few minutes.",
        "model": "gpt",
        "model_kwargs": {"num_layers": 2, "num_heads": 2, "hidden_dim": 64, "max_sequence_length": 64},
        "training": {"seq_length": 64, "batch_size": 32, "optimizer": "adamw", "learning_rate": 1e-3,
                     "clipnorm": 1.0, "epochs": 2, "steps_per_epoch": 200},
    },
}
