"""Named configurations of ELMo's biLM, with their training settings.

`elmo-original` is AllenNLP's full ELMo ("Original", 93.6M parameters without
its softmax): the architecture of allenai/bilm-tf's `options.json` for
`elmo_2x4096_512_2048cnn_2xhighway`, trained there for 10 epochs on the One
Billion Word Benchmark (a 793,471-word vocabulary, 8192 sampled words per
step, batches of 128 windows of 20 tokens, Adagrad at 0.2). It is far too big
for a CPU; it is here so the full configuration is one flag away on a GPU.

`elmo-small` keeps every part of that design at a size that trains on two
CPU cores in minutes. `elmo-small-plain` is the same biLM trained for 45
minutes on the plays lowercased and without punctuation marks, the text a
punctuation-restoration tagger reads (docs/transfer.md).
"""

# elmo-small's biLM, which two configurations train on two texts.
_SMALL_MODEL = {
    "character_filters": [[1, 32], [2, 32], [3, 64], [4, 128]],
    "character_embedding_dim": 16,
    "num_highway": 2,
    "projection_dim": 128,
    "num_layers": 2,
    "lstm_units": 512,
    "cell_clip": 3.0,
    "projection_clip": 3.0,
    "dropout": 0.1,
    "num_samples": 1024,
}

ELMO_CONFIGS = {
    "elmo-small": {
        "description": "A 2-layer, 512-cell, 128-wide biLM with a 256-filter char CNN; trains on 2 CPU cores in minutes.",
        "model": "elmo",
        "model_kwargs": dict(_SMALL_MODEL),
        "training": {
            "min_count": 3,
            "seq_length": 20,
            "batch_size": 128,
            "epochs": 20,
            "steps_per_epoch": 100,
            "validation_steps": 10,
            # ELMo's Adagrad (rate 0.2). Adam at 2e-3 diverged here: with a sampled softmax most
            # softmax rows get no gradient in a step, and dense Adam keeps moving them on stale moments.
            "optimizer": "bilm_adagrad",
            "max_minutes": 8.0,
        },
    },
    "elmo-small-plain": {
        "description": "elmo-small trained 45 minutes on lowercased words without marks, the tagging task's text.",
        "model": "elmo",
        "model_kwargs": dict(_SMALL_MODEL),
        "training": {
            "text": "plain",
            "min_count": 3,
            "seq_length": 20,
            "batch_size": 128,
            "epochs": 200,
            "steps_per_epoch": 100,
            "validation_steps": 10,
            "optimizer": "bilm_adagrad",
            "max_minutes": 45.0,
        },
    },
    "elmo-original": {
        "description": "AllenNLP's full ELMo: 2048-filter char CNN, 2 layers of 4096 cells projected to 512, 8192 sampled words.",
        "model": "elmo",
        "model_kwargs": {
            "character_filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
            "character_embedding_dim": 16,
            "num_highway": 2,
            "projection_dim": 512,
            "num_layers": 2,
            "lstm_units": 4096,
            "cell_clip": 3.0,
            "projection_clip": 3.0,
            "dropout": 0.1,
            "num_samples": 8192,
        },
        "training": {
            "seq_length": 20,
            "batch_size": 128,
            "epochs": 10,
            "optimizer": "bilm_adagrad",
        },
    },
}
