"""Is the context worth reading? The chat Transformer against the same decoder with an empty context, 3 seeds each.

    python recipes/chat_context.py                       # train what is missing, then print the table
    python recipes/chat_context.py --only chat-short --seeds 0   # one run (two can train side by side)

Each run is `kerazoo train chat_transformer --config chat-short` (or `chat-short-empty`: the encoder reads
`<none>`, so the decoder is a language model of replies) with `--seed S`, into runs/chat-context/CONFIG-seedS.
A finished run is not trained again. The table gives each run's test perplexity (the four held-out plays, the
replier's name not shown), distinct-1/2 of its sampled replies (temperature 1, top-p 0.9, the first 500 test
contexts; the run's own evaluation measures both on its best checkpoint), its steps and wall time; then the
margin between the means and the seed-to-seed spread (the larger range of the two configurations). Each run's
row is also written to benchmarks/results/chat_context.jsonl; docs/chat.md holds the figures.
"""

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONFIGS = ("chat-short", "chat-short-empty")
SEEDS = (0, 1, 2)


def run(config, seed, runs):
    """The run's metrics; distinct-1/2 measured here on its best checkpoint (kept in diversity.json) when the run's
    own evaluation did not measure them."""
    from kerazoo.training import resolve_config
    from kerazoo.training import train
    from kerazoo.training.runner import is_finished
    from kerazoo.training.runner import read_run_state

    output = os.path.join(runs, f"{config}-seed{seed}")
    if not is_finished(read_run_state(output)):
        train(resolve_config(config=config, seed=seed, verbose=2), output)
    with open(os.path.join(output, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    if "test_distinct_1" in metrics:
        return metrics
    path = os.path.join(output, "diversity.json")
    if not os.path.isfile(path):
        from kerazoo.data.dialogue import dialogue_splits
        from kerazoo.models.chat.chat_evaluation import diversity
        from kerazoo.models.presets import load_preset

        model, vocabulary, _ = load_preset(output)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(diversity(model, vocabulary, dialogue_splits()["test"][:500], seed=0), f)
    with open(path, encoding="utf-8") as f:
        metrics.update({f"test_{key}": value for key, value in json.load(f).items()})
    return metrics


def write_rows(results, path):
    """One JSON line per run: its configuration, seed, test figures, steps and clock, and where it ran."""
    import datetime

    import keras

    from kerazoo.training.publish import hardware

    keys = ("test_perplexity", "test_perplexity_with_speaker", "validation_perplexity", "test_distinct_1",
            "test_distinct_2", "test_mean_reply_units", "best_val_loss", "best_epoch", "steps", "epochs_completed",
            "parameters", "wall_s", "train_exchanges_per_s", "backend")
    with open(path, "w", encoding="utf-8") as f:
        for (config, seed), metrics in sorted(results.items()):
            row = {"configuration": config, "seed": seed, **{key: metrics.get(key) for key in keys},
                   "date": datetime.date.today().isoformat(), "hardware": hardware() + ", shared",
                   "keras": keras.__version__, "command": "python recipes/chat_context.py"}
            f.write(json.dumps(row) + "\n")


def table(results):
    lines = ["| configuration | seed | test perplexity | distinct-1 | distinct-2 | steps | minutes |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for (config, seed), metrics in sorted(results.items()):
        lines.append(f"| `{config}` | {seed} | {metrics['test_perplexity']:.2f} | {metrics['test_distinct_1']:.3f} | "
                     f"{metrics['test_distinct_2']:.3f} | {metrics['steps']} | {metrics['wall_s'] / 60:.0f} |")
    figures = {config: [m["test_perplexity"] for (c, _), m in results.items() if c == config] for config in CONFIGS}
    if all(len(values) >= 2 for values in figures.values()):
        means = {config: statistics.mean(values) for config, values in figures.items()}
        spread = max(max(values) - min(values) for values in figures.values())
        margin = means["chat-short-empty"] - means["chat-short"]
        lines += ["", f"Mean test perplexity: {means['chat-short']:.2f} with the context, "
                      f"{means['chat-short-empty']:.2f} without; margin {margin:.2f}, seed-to-seed spread "
                      f"{spread:.2f} (the larger range of the two); the context helps by more than the spread: "
                      f"{margin > spread and max(figures['chat-short']) < min(figures['chat-short-empty'])}."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=CONFIGS, action="append", help="train these configurations only")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs", "chat-context"))
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "chat_context.jsonl"),
                        help="the JSON lines file that gets one row per run ('' writes none)")
    args = parser.parse_args(argv)
    results = {(config, seed): run(config, seed, args.runs) for seed in args.seeds for config in args.only or CONFIGS}
    if args.results:
        write_rows(results, args.results)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
