"""The dates -> ISO 8601 task: the Transformer beside the LSTM + attention baseline.

    python recipes/dates_seq2seq.py                 # both models, the presets' settings
    python recipes/dates_seq2seq.py --models dates-lstm --epochs 2

Each model trains with `kerazoo.training.train_seq2seq` (the same call as
`kerazoo train transformer --preset dates-transformer`) on 50,000 generated
pairs and is scored by exact match on 2,000 pairs whose calendar days never
occur in training. One JSON line per model is printed and appended to
benchmarks/results/dates_seq2seq.jsonl, and the cross-attention map of one
test sentence is drawn to docs/images/dates_attention_<model>.png.
"""

import argparse
import datetime
import json
import os
import platform

import keras

from kerazoo.training import resolve_seq2seq_config
from kerazoo.training import train_seq2seq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLE = "Saturday, July 20, 1969"


def plot_attention(model, vocabulary, source, path, title):
    """Draws the attention of each output character over the source characters (last layer, heads averaged)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kerazoo.generation.translate import translate

    target = translate(model, vocabulary, [source])[0]
    x, _ = vocabulary.encode_pairs([(source, target)])
    weights = keras.ops.convert_to_numpy(model.attention_maps(x["encoder_token_ids"], x["decoder_token_ids"])[-1])[0]
    if weights.ndim == 3:  # (heads, T, S): average the heads
        weights = weights.mean(axis=0)
    rows = list(target) + ["<end>"]
    figure, axis = plt.subplots(figsize=(0.32 * len(source) + 1.5, 0.32 * len(rows) + 1.2))
    axis.imshow(weights[: len(rows), : len(source)], cmap="viridis", aspect="auto")
    axis.set_xticks(range(len(source)), list(source), fontsize=8)
    axis.set_yticks(range(len(rows)), rows, fontsize=8)
    axis.set_xlabel("source character")
    axis.set_ylabel("output character")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["dates-transformer", "dates-lstm"])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--train-size", type=int, default=None)
    parser.add_argument("--output", default=os.path.join(ROOT, "runs", "dates"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for preset in args.models:
        config = resolve_seq2seq_config(
            preset=preset, epochs=args.epochs, train_size=args.train_size, seed=args.seed, verbose=2
        )
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        model, vocabulary, metrics = train_seq2seq(config, os.path.join(args.output, f"{preset}-{stamp}"))
        image = os.path.join(ROOT, "docs", "images", f"dates_attention_{config['model']}.png")
        translated = plot_attention(model, vocabulary, EXAMPLE, image, f"{preset}: {EXAMPLE!r}")
        row = {
            "preset": preset,
            **{k: metrics[k] for k in ("test_exact_match", "test_pairs", "train_pairs", "parameters",
                                       "best_val_loss")},
            "epochs_run": metrics["epochs_completed"],
            "train_s": metrics["wall_s"],
            "example": [EXAMPLE, translated],
            "date": datetime.date.today().isoformat(),
            "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()})",
            "backend": keras.backend.backend(),
            "command": "python recipes/dates_seq2seq.py --models " + preset,
        }
        print(json.dumps(row), flush=True)
        results = os.path.join(ROOT, "benchmarks", "results", "dates_seq2seq.jsonl")
        with open(results, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
