"""Does span-corruption pretraining pay? plays-t5 fine-tuned against the same Transformer from scratch.

    python recipes/transfer_span_corruption.py                 # 1,000 and 10,000 speeches, seeds 0, 1, 2
    python recipes/transfer_span_corruption.py --sizes 1000 10000 all --seeds 0 1 2
    python recipes/transfer_span_corruption.py --figure-only   # redraw the figure from the JSON
    python recipes/transfer_span_corruption.py --task dates-new-formats   # dates in formats never trained on
    python recipes/transfer_span_corruption.py --task dialogue            # the reply to a speech

The task is punctuation and case restoration (`kerazoo train transformer
--task punctuation`): a speech of at most 128 characters, lowercased and
stripped of its marks, in; the speech as written, out. Held out: the four
plays that plays-t5 never read (500 of their speeches, the same for every run).

For each training-set size and seed, two runs share everything (the seed's
nested sample of speeches, the architecture of plays-t5, the optimizer, the
batch size and the number of steps) except the initial weights:

- pretrained: `init_from="plays-t5"`;
- scratch: freshly initialised (its vocabulary is the pairs' characters);
- and with `--conditions pretrained-encoder`, the encoder of plays-t5 and a fresh
  decoder (`init_from_parts="encoder"`);
- and with `--conditions pretrained-embeddings`, only the weights of plays-t5 indexed by
  characters, its embeddings and output layer, with fresh blocks (`init_from_parts="embeddings"`).

With `--task dates-new-formats` the task is the `dates` pairs (20 formats ->
ISO 8601), tested on 500 days never seen, written in 4 formats never seen
(spelled-out ordinals, day-first dashes: `kerazoo.data.dates.NEW_FORMATS`);
its figures are exact match, per format too, and the teacher-forced loss, in
benchmarks/results/transfer_dates.json and docs/images/transfer_dates.png.

With `--task dialogue` the pairs are a speech and the reply to it in the
chat family's exchanges (`kerazoo.data.dialogue`), both of at most 128
characters, tested on 500 exchanges of the same four held-out plays; its figures
are exact match, the word-overlap F1 of the greedy reply (`kerazoo.data.words.word_f1`)
and the teacher-forced loss, in benchmarks/results/transfer_dialogue.json and
docs/images/transfer_dialogue.png.

Each run keeps its final model. The figures are exact match, the macro and
micro F1 of the six restored marks, capital F1 and the teacher-forced loss on
the held-out speeches. Every finished run is written at once to
benchmarks/results/transfer_span_corruption.json, and a rerun skips the runs the
file holds, so an interrupted recipe goes on where it stopped. The learning
curves go to docs/images/transfer_span_corruption.png.
"""

import argparse
import datetime
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PRESET = "plays-t5"
# Optimizer steps per run, the same with and without pretraining: epochs over the size's 95% that trains.
EPOCHS = {1000: 10, 10000: 1, "all": 1}
SETTINGS = {"task": "punctuation", "test_size": 500, "batch_size": 32, "optimizer": "adam", "learning_rate": 1e-3,
            "clipnorm": 1.0, "verbose": 0}
# Per task: the figures each run reports (and those kept per run only), where they go, and the figure's title.
TASKS = {
    "punctuation": {
        "measures": ("test_exact_match", "test_mark_macro_f1", "test_mark_micro_f1", "test_capital_f1", "test_loss"),
        "details": ("test_mark_f1",),
        "results": os.path.join(ROOT, "benchmarks", "results", "transfer_span_corruption.json"),
        "figure": os.path.join(ROOT, "docs", "images", "transfer_span_corruption.png"),
        "title": "Punctuation and case restoration on 4 held-out plays",
        "examples": "speeches",
    },
    "dates-new-formats": {
        "measures": ("test_exact_match", "test_loss"),
        "details": ("test_exact_match_per_format",),
        "results": os.path.join(ROOT, "benchmarks", "results", "transfer_dates.json"),
        "figure": os.path.join(ROOT, "docs", "images", "transfer_dates.png"),
        "title": "Dates in 4 formats never trained on",
        "examples": "dates",
    },
    "dialogue": {
        "measures": ("test_exact_match", "test_word_f1", "test_loss"),
        "details": ("test_replies",),
        "results": os.path.join(ROOT, "benchmarks", "results", "transfer_dialogue.json"),
        "figure": os.path.join(ROOT, "docs", "images", "transfer_dialogue.png"),
        "title": "Replies to speeches of 4 held-out plays",
        "examples": "exchanges",
    },
}
HEADERS = {"test_exact_match": "exact match", "test_mark_macro_f1": "marks macro F1",
           "test_mark_micro_f1": "marks micro F1", "test_capital_f1": "capital F1", "test_loss": "held-out loss",
           "test_word_f1": "word F1"}
MEASURES = TASKS["punctuation"]["measures"]
# How a run starts: all of plays-t5's weights, its encoder's or its embeddings' only (`--conditions`), or none.
CONDITIONS = ("pretrained", "pretrained-encoder", "pretrained-embeddings", "scratch")
LABELS = {"pretrained": "pretrained (all of plays-t5)", "pretrained-encoder": "pretrained encoder, fresh decoder",
          "pretrained-embeddings": "pretrained embeddings, fresh blocks", "scratch": "scratch (random init)"}
COLORS = {"pretrained": "tab:blue", "pretrained-encoder": "tab:orange", "pretrained-embeddings": "tab:green",
          "scratch": "tab:gray"}
PARTS = {"pretrained": "all", "pretrained-encoder": "encoder", "pretrained-embeddings": "embeddings"}


def architecture(preset):
    """The builder arguments of the pretrained model, which the scratch runs share."""
    import kerazoo
    from kerazoo.models.registry import get_family
    from kerazoo.models.seq2seq_lm.seq2seq_lm_transfer import source_architecture

    return source_architecture(get_family("transformer").builders["transformer"], kerazoo.from_preset(preset))


def run_config(size, seed, condition, model_kwargs, preset=PRESET, settings=SETTINGS, epochs=None):
    """The training config of one run: `size` examples, `seed`, started as `condition` says."""
    from kerazoo.models.registry import resolve_config

    return resolve_config(
        model="transformer", model_kwargs=dict(model_kwargs), seed=seed, epochs=epochs or EPOCHS[size],
        train_size=10**9 if size == "all" else size, init_from=None if condition == "scratch" else preset,
        init_from_parts=PARTS.get(condition, "all"), **settings,
    )


def run_one(size, seed, condition, model_kwargs, preset=PRESET, settings=SETTINGS, epochs=None):
    task = TASKS[settings["task"]]
    from kerazoo.training import train

    config = run_config(size, seed, condition, model_kwargs, preset, settings, epochs)
    start = time.monotonic()
    _, _, metrics = train(config, None)
    return {
        "size": size, "seed": seed, "condition": condition,
        "train_pairs": metrics["train_pairs"], "steps": metrics["steps"], "wall_s": round(time.monotonic() - start, 1),
        **{key: metrics[key] for key in task["measures"] + task["details"]},
        "val_loss": [row.get("val_loss") for row in metrics["history"]],
    }


def summarise(runs, measures=MEASURES):
    """{size: {condition: {measure: {mean, std, min, max, seeds}}}} and the pretrained - scratch gaps."""
    summary = {}
    for size in dict.fromkeys(run["size"] for run in runs):
        summary[str(size)] = {}
        for condition in CONDITIONS:
            chosen = [run for run in runs if run["size"] == size and run["condition"] == condition]
            if not chosen:
                continue
            summary[str(size)][condition] = {
                key: {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)) if len(values) > 1 else None,
                      "min": float(np.min(values)), "max": float(np.max(values)), "seeds": len(values)}
                for key in measures for values in [[run[key] for run in chosen]]
            }
    return summary


def target_verdicts(summary, measures=MEASURES):
    """The issue's target per size: pretrained beats scratch by more than twice the seed-to-seed spread (std).

    The gap is pretrained - scratch (scratch - pretrained for the loss), the spread the larger standard deviation.
    """
    verdicts = {}
    for size, conditions in summary.items():
        for condition in [c for c in conditions if c != "scratch" and "scratch" in conditions]:
            verdicts.setdefault(size, {})[condition] = {}
            for key in measures:
                better = -1 if key == "test_loss" else 1
                gap = better * (conditions[condition][key]["mean"] - conditions["scratch"][key]["mean"])
                spread = max(conditions[c][key]["std"] or 0.0 for c in (condition, "scratch"))
                verdicts[size][condition][key] = {"gap": gap, "twice_spread": 2 * spread, "met": bool(gap > 2 * spread)}
    return verdicts


def markdown_table(summary, task=TASKS["punctuation"]):
    """The docs' table: each measure's mean ± standard deviation over the seeds, per size and condition."""
    measures = task["measures"]
    lines = [f"| {task['examples']} | start | seeds | " + " | ".join(HEADERS[key] for key in measures) + " |",
             "| --- | --- | --- | " + " | ".join("---" for _ in measures) + " |"]
    for size, conditions in summary.items():
        for condition in CONDITIONS:
            if condition not in conditions:
                continue
            figures = conditions[condition]
            cells = [f"{figures[key]['mean']:.3f} ± {figures[key]['std'] or 0.0:.3f}" for key in measures]
            seeds = figures[measures[0]]["seeds"]
            speeches = size if size == "all" else f"{int(size):,}"
            lines.append(f"| {speeches} | {LABELS[condition]} | {seeds} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(runs, path, task=TASKS["punctuation"], preset=PRESET):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = {"test_mark_macro_f1": "macro F1 of the 6 marks", "test_word_f1": "word F1 of the greedy reply",
              "test_exact_match": "exact match", "test_loss": "held-out loss (nats/char)"}
    titles = {key: title for key, title in titles.items() if key in task["measures"]}
    name = os.path.basename(os.path.normpath(preset))
    figure, axes = plt.subplots(1, len(titles), figsize=(4.2 * len(titles), 3.6))
    for axis, (key, title) in zip(axes, titles.items()):
        for condition in CONDITIONS:
            color = COLORS[condition]
            chosen = [run for run in runs if run["condition"] == condition]
            if not chosen:
                continue
            sizes = sorted({run["train_pairs"] for run in chosen})  # a size trains the same count for every seed
            values = [[run[key] for run in chosen if run["train_pairs"] == n] for n in sizes]
            for n, vs in zip(sizes, values):
                axis.scatter([n] * len(vs), vs, color=color, s=12, alpha=0.6)
            axis.plot(sizes, [np.mean(vs) for vs in values], color=color, marker="o",
                      label=LABELS[condition].replace(PRESET, name))
        axis.set_xscale("log")
        axis.set_xlabel(f"{task['examples']} trained on (5% more validate)")
        axis.set_title(title)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(f"{task['title']}: fine-tuned {name} vs scratch "
                    "(dots: seeds; lines: means)", fontsize=9)
    figure.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def read_results(path):
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_results(path, runs, args):
    from kerazoo.training.publish import hardware

    measures = TASKS[args.settings["task"]]["measures"]
    summary = summarise(runs, measures)
    result = {
        "command": "python recipes/transfer_span_corruption.py " + " ".join(args.argv),
        "date": datetime.date.today().isoformat(),
        "hardware": hardware(),
        "preset": args.preset,
        "settings": {**args.settings, "epochs": args.epochs or {str(k): v for k, v in EPOCHS.items()}},
        "runs": runs,
        "summary": summary,
        "targets": target_verdicts(summary, measures),
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    return result


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000", "10000"], help="1000, 10000 and/or all")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--preset", default=PRESET, help="the pretrained preset or run folder")
    parser.add_argument("--task", default="punctuation", choices=sorted(TASKS), help="the downstream task")
    parser.add_argument("--output", help="the results JSON (by default the task's, in benchmarks/results/)")
    parser.add_argument("--figure", help="the figure (by default the task's, in docs/images/)")
    parser.add_argument("--conditions", nargs="+", default=["pretrained", "scratch"], choices=CONDITIONS)
    parser.add_argument("--learning-rate", type=float, default=SETTINGS["learning_rate"], help="of every run")
    parser.add_argument("--epochs", type=int, help="of every run, instead of the sizes' (a longer diagnostic)")
    parser.add_argument("--figure-only", action="store_true")
    args = parser.parse_args(argv)
    args.argv = argv
    task = TASKS[args.task]
    args.output, args.figure = args.output or task["results"], args.figure or task["figure"]
    args.settings = {**SETTINGS, "task": args.task, "learning_rate": args.learning_rate}
    sizes = [size if size == "all" else int(size) for size in args.sizes]
    unknown = [size for size in sizes if size not in EPOCHS]
    if unknown:
        parser.error(f"--sizes takes {sorted(map(str, EPOCHS))}; received {unknown}")
    runs = (read_results(args.output) or {}).get("runs", [])
    if args.figure_only:
        plot(runs, args.figure, task, args.preset)
        print(markdown_table(summarise(runs, task["measures"]), task))
        print(json.dumps(target_verdicts(summarise(runs, task["measures"]), task["measures"]), indent=1))
        return 0
    model_kwargs = architecture(args.preset)
    for size in sizes:
        for seed in args.seeds:
            for condition in args.conditions:
                if any(r["size"] == size and r["seed"] == seed and r["condition"] == condition for r in runs):
                    continue
                run = run_one(size, seed, condition, model_kwargs, args.preset, args.settings, args.epochs)
                runs.append(run)
                write_results(args.output, runs, args)
                print(json.dumps({key: run[key] for key in ("size", "seed", "condition", "steps", "wall_s",
                                                            *task["measures"])}), flush=True)
    result = write_results(args.output, runs, args)
    plot(runs, args.figure, task, args.preset)
    print(markdown_table(result["summary"], task))
    print(json.dumps(result["targets"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
