"""Prints the markdown tables of docs/results.md from benchmarks/results/*.jsonl.

    python benchmarks/results_table.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def read(name):
    """The rows of benchmarks/results/`name`, one JSON object per line ([] when there is no such file)."""
    path = os.path.join(HERE, "results", name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def append(name, rows):
    """Appends each of `rows` as one JSON line to benchmarks/results/`name`, the file `read(name)` reads."""
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", name), "a", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


def report(name, row, save=True):
    """Prints a benchmark's result `row` as one JSON line, appends it to benchmarks/results/`name` when `save`, and
    returns it."""
    print(json.dumps(row), flush=True)
    if save:
        append(name, [row])
    return row


def char_rnn_table(rows):
    print("| preset | corpus | val split | val loss, windowed (nats/char) | val loss, streamed (nats/char) "
          "| val bits/char, streamed | train accuracy | steps | wall (s) | train chars/s | parameters | hardware | date |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        wall = r.get("wall_s_total", r["wall_s"])
        print(
            f"| `{r['preset']}` | {r['corpus']} | {r['validation_split']} | {r['val_loss_windowed']:.3f} "
            f"| {r['val_loss_streamed']:.3f} | {r['val_bpc_streamed']:.3f} | {r['train_accuracy_final']:.3f} "
            f"| {r['steps']} | {wall:.0f} | {r['train_chars_per_s']:.0f} | {r['parameters']:,} "
            f"| {r['hardware']}, {r['backend']} | {r['date']} |"
        )


def throughput_table(rows):
    print("| path | layers × units | batch × seq | train chars/s | parameters | hardware | date |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['path']} | {r['num_layers']} × {r['units']} | {r['batch_size']} × {r['seq_length']} "
            f"| {r['train_chars_per_s']:.0f} | {r['parameters']:,} | {r['hardware']}, {r['backend']} | {r['date']} |"
        )


def gpt_table(rows):
    print("| config | weights | seed | val loss (full val pass) | wall (s) | iters | ms/iter | parameters "
          "| machine load (before, after) | backend | device | date |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        weights = "tied" if r.get("tie_weights", True) else "untied"
        print(
            f"| `{r['config']}` | {weights} | {r['seed']} | {r['val_loss']:.4f} | {r['wall_s']:.1f} "
            f"| {r['iters']} | {r['ms_per_iter']:.1f} | {r['parameters']:,} "
            f"| {', '.join(str(x) for x in r['load_avg']) if 'load_avg' in r else 'not recorded (shared)'} "
            f"| {r['backend']} | {r['device']} | {r['date']} |"
        )


def dates_table(rows):
    print("| preset | test exact match | test pairs | train pairs | parameters | epochs | train (s) | backend | date |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| `{r['preset']}` | {100 * r['test_exact_match']:.2f}% | {r['test_pairs']:,} | {r['train_pairs']:,} "
            f"| {r['parameters']:,} | {r['epochs_run']} | {r['train_s']:.0f} | {r['backend']} | {r['date']} |"
        )


if __name__ == "__main__":
    char_rnn_table(read("char_rnn.jsonl"))
    print()
    throughput_table(read("lstm_throughput.jsonl"))
    print()
    gpt_table(read("gpt_shakespeare.jsonl"))
    print()
    dates_table(read("dates_seq2seq.jsonl"))
