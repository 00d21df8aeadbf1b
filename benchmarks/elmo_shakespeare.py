"""ELMo's biLM on the embedded complete plays: held-out forward and backward perplexity, training tokens/s.

    python benchmarks/elmo_shakespeare.py                       # the elmo-small preset, its 8-minute budget
    python benchmarks/elmo_shakespeare.py --minutes 2 --optimizer adam --learning-rate 0.002

The run is `kerazoo.training.train_bilm` with the preset (the call behind
`kerazoo train elmo --preset elmo-small`): the lines of speech of 34 plays
train, and 4 whole plays (Twelfth Night, Richard II, Julius Caesar, Macbeth)
validate. The perplexities are those of the best checkpoint over every
window of the 4 held-out plays, with the full softmax. Tokens/s counts the
training tokens (batch × window) over the time spent in training steps,
validation excluded. Prints one JSON line and appends it to
benchmarks/results/elmo_shakespeare.jsonl; the run folder is kept for
recipes/elmo_genre.py.
"""

import argparse
import datetime
import json
import os
import platform
import sys

import keras

from kerazoo import optimizers
from kerazoo.training import resolve_bilm_config
from kerazoo.training import train_bilm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results_table  # noqa: E402


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        return names[0] if names else platform.machine()
    except OSError:
        return platform.machine()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="elmo-small")
    parser.add_argument("--minutes", type=float, default=None, help="training budget (default: the preset's)")
    parser.add_argument("--optimizer", default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="the run folder (default runs/elmo/<preset>-<time>)")
    args = parser.parse_args(argv)
    if args.optimizer and args.learning_rate is None:
        # Another recipe keeps its own rate, not the preset's rate for the preset's recipe.
        args.learning_rate = optimizers.get_recipe(args.optimizer).defaults["learning_rate"]
    config = resolve_bilm_config(
        preset=args.preset, max_minutes=args.minutes, optimizer=args.optimizer,
        learning_rate=args.learning_rate, seed=args.seed, verbose=2,
    )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = args.output or os.path.join(ROOT, "runs", "elmo", f"{args.preset}-{stamp}")
    _, _, metrics = train_bilm(config, output)
    command = "python benchmarks/elmo_shakespeare.py" + "".join(
        f" --{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v is not None and k not in ("output", "seed")
        and not (k == "preset" and v == "elmo-small")
    )
    row = {
        "preset": args.preset,
        "optimizer": config["optimizer"],
        "learning_rate": config["learning_rate"],
        **{k: metrics[k] for k in (
            "validation_forward_perplexity", "validation_backward_perplexity", "train_tokens_per_s", "steps",
            "trained_tokens", "train_tokens", "validation_tokens", "validation_unknown_rate", "vocabulary_size",
            "softmax", "parameters", "softmax_parameters", "stopped_by_time_budget",
        )},
        "fit_wall_s": metrics["wall_s"],
        "run_dir": os.path.relpath(output, ROOT),
        "date": datetime.date.today().isoformat(),
        "hardware": f"{os.cpu_count()} CPU cores ({cpu_name()}), shared with other jobs",
        "backend": keras.backend.backend(),
        "command": command,
    }
    print(json.dumps(row), flush=True)
    results_table.append("elmo_shakespeare.jsonl", [row])


if __name__ == "__main__":
    main()
