"""Checkouts of `kerazoo serve` against each other, alternately, in one run on one machine.

    nice -n 5 python benchmarks/serve_ab.py --compare-with /path/to/other/checkout [--compare-with ...]
        [--rounds 5] [--base-dir DIR] [--output FILE]

A claim that one version of the server is faster or slower than another holds only as a ratio
measured alternately, in the same run, on the same machine: this machine's speed changes by 2x
from one hour to the next. This script serves the same SavedModels (exported once by this
checkout, or `--base-dir`) from the code of each checkout, this one first, each server with
`PYTHONPATH` and its working folder set to its checkout (checked before it starts). Every
server first gets a short predict-only load (`--warmup-seconds`): a server's first calls take
seconds while TensorFlow prepares the graph, and would fall on whichever round came first.
Then, `--rounds` times:

1. Concurrency 1: `generate`, and `serving_default` (predict) on one row of each
   `--predict-lengths` ids, in process and over REST (`http.client` on a kept-alive
   connection) to each checkout's server, call after call (`serve_load.concurrency_1`; the
   order of the servers turns each round). A checkout's overhead is the ratio of its REST
   median to the in-process median of the same alternation.
2. Batching: predict-only rounds of `--clients` clients, `--batch-seconds` each, against each
   checkout's server with batching and one started with `--no-batching`, one after another
   (the order turns each round). The rate counts the requests answered within the round's
   seconds (`requests_per_s_in_window`), so the tail of slow last requests, whose length
   follows the machine's load, does not dilute it. A checkout's gain is its batching
   requests/s over its no-batching requests/s, in each round, and the median over the rounds.

Before the servers start, `--cancellation-repeats` alternations time this checkout's predict
signature in process with and without a `kerazoo.serving.deadlines.Cancel` scope around it.

Prints a JSON report (and writes it to `--output`).
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import serve_load  # noqa: E402 - the benchmark beside this one

ROOT = serve_load.ROOT


def tree_label(tree):
    """A checkout's commit, `+dirty` when its tracked files have changed."""
    out = subprocess.run(["git", "-C", tree, "describe", "--always", "--dirty=+dirty", "--abbrev=7"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def tree_env(tree):
    """The environment that makes a Python process import kerazoo from `tree`, and only from it."""
    env = {**os.environ, "PYTHONPATH": tree, "TF_CPP_MIN_LOG_LEVEL": "3"}
    found = subprocess.run([sys.executable, "-c", "import kerazoo; print(kerazoo.__file__)"], env=env, cwd=tree,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not os.path.realpath(found).startswith(os.path.realpath(tree) + os.sep):
        raise RuntimeError(f"a server for {tree} would import kerazoo from {found}")
    return env


def turned(items, by):
    """`items` turned left `by` places: the order of one round."""
    by %= len(items)
    return items[by:] + items[:by]


def cancellation_cost(base, repeats, lengths):
    """The predict signature in process, with and without a `Cancel` scope around it (what the hardened server adds
    to every call: a CancellationManager, and TensorFlow's cancellable call path), alternately; medians in ms."""
    import numpy as np
    import tensorflow as tf

    from kerazoo.serving.deadlines import Cancel

    lstm = tf.saved_model.load(os.path.join(base, "lstm", "1")).signatures["serving_default"]
    out = {}
    for length in lengths:
        ids = np.asarray(serve_load.ids_of_length(length), dtype="int32")

        def plain():
            lstm(token_ids=tf.constant(ids))["logits"].numpy()

        def cancellable():
            with Cancel().scope():
                lstm(token_ids=tf.constant(ids))["logits"].numpy()

        times = {"plain": [], "cancellable": []}
        plain(), cancellable()
        for _ in range(repeats):
            for way, call in (("plain", plain), ("cancellable", cancellable)):
                started = time.perf_counter()
                call()
                times[way].append(time.perf_counter() - started)
        medians = {way: statistics.median(values) for way, values in times.items()}
        out[f"predict_{length}"] = {**{f"{way}_p50_ms": round(1000 * v, 3) for way, v in medians.items()},
                                    "ratio": round(medians["cancellable"] / medians["plain"], 3)}
    print(json.dumps({"cancellation_cost": out}), flush=True)
    return out


def concurrency_rounds(base, servers, rounds, repeats, lengths):
    """Per round, each kind's in-process median and each checkout's REST median and overhead."""
    local = serve_load.in_process(base)
    posts = {label: serve_load.lean_post(url) for label, url in servers.items()}
    out = []
    for index in range(rounds):
        order = turned(list(posts), index)
        figures = serve_load.concurrency_1(local, {label: posts[label] for label in order}, repeats, lengths)
        out.append({"order": order, **figures})
        print(json.dumps({"concurrency_1_round": index + 1, **figures}), flush=True)
    return out


def warm(servers, clients, seconds):
    """A predict-only load on each server before anything is timed: a server's first calls (and its first merged
    calls of each size) take seconds while TensorFlow prepares the graph, which would fall on its first round."""
    for url in servers.values():
        asyncio.run(serve_load.load(url, clients, seconds, kinds=("predict",)))


def batching_rounds(servers, rounds, clients, seconds):
    """Per round, each (checkout, batching or not) server's predict-only requests/s and 5xx."""
    ways = list(servers)
    out = []
    for index in range(rounds):
        for label, mode in turned(ways, index):
            stats = asyncio.run(serve_load.load(servers[label, mode], clients, seconds, kinds=("predict",)))
            report = serve_load.load_report(stats)
            line = {"round": index + 1, "tree": label, "server": mode,
                    "requests_per_s": report["requests_per_s_in_window"],
                    "requests_per_s_with_tail": report["requests_per_s"], "5xx": report["5xx"],
                    "client_errors": report["client_errors"], "client_error_types": report["client_error_types"],
                    "p50_ms": report["per_kind"]["predict"]["p50_ms"],
                    "p99_ms": report["per_kind"]["predict"]["p99_ms"]}
            out.append(line)
            print(json.dumps(line), flush=True)
    return out


def summarize(labels, concurrency, batching):
    """Per checkout, each figure round by round and its median over the rounds: the overhead of each kind, its REST
    median over the first checkout's, the batching gain, and its requests/s over the first checkout's in the same
    round (with and without batching)."""
    first = labels[0]
    kinds = [kind for kind in concurrency[0] if kind != "order"]
    rounds = sorted({b["round"] for b in batching})
    rate = {(b["tree"], b["server"], b["round"]): b["requests_per_s"] for b in batching}

    def figures(values):
        return {"per_round": values, "median": round(statistics.median(values), 3)}

    summary = {"overhead": {}, "rest_p50_ratio_to_first": {}, "batching_gain": {}, "requests_per_s_ratio_to_first": {}}
    for label in labels:
        summary["overhead"][label] = {kind: figures([r[kind][label]["overhead"] for r in concurrency])
                                      for kind in kinds}
        summary["rest_p50_ratio_to_first"][label] = {
            kind: figures([round(r[kind][label]["rest_p50_ms"] / r[kind][first]["rest_p50_ms"], 3)
                           for r in concurrency]) for kind in kinds}
        if not rounds:
            continue
        summary["batching_gain"][label] = figures(
            [round(rate[label, "batching", r] / rate[label, "no_batching", r], 2) for r in rounds])
        summary["requests_per_s_ratio_to_first"][label] = {
            mode: figures([round(rate[label, mode, r] / rate[first, mode, r], 3) for r in rounds])
            for mode in ("batching", "no_batching")}
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare-with", action="append", required=True, metavar="CHECKOUT",
                        help="another checkout of kerazoo whose server to measure beside this one's (repeatable)")
    parser.add_argument("--base-dir", help="serve this folder (it must hold `lstm` and `gpt`); default: export them")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=40, help="calls of each kind per concurrency-1 round")
    parser.add_argument("--predict-lengths", type=int, nargs="+", default=[1024, 256, 64])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--batch-seconds", type=float, default=6.0,
                        help="length of each predict-only round; 0: no batching rounds (and no --no-batching servers)")
    parser.add_argument("--warmup-seconds", type=float, default=4.0,
                        help="a predict-only load on each server before anything is timed")
    parser.add_argument("--cancellation-repeats", type=int, default=100,
                        help="alternations of the in-process predict call with and without a Cancel scope; 0: none")
    parser.add_argument("--output")
    args = parser.parse_args()

    trees = [ROOT] + [os.path.abspath(tree) for tree in args.compare_with]
    labels = [tree_label(tree) for tree in trees]
    if len(set(labels)) != len(labels):
        labels = [f"{label}@{tree}" for label, tree in zip(labels, trees)]
    envs = [tree_env(tree) for tree in trees]
    base = args.base_dir or tempfile.mkdtemp(prefix="serve-ab-")
    if not args.base_dir:
        serve_load.export_models(base)
    report = {"trees": dict(zip(labels, trees)), "cpus": os.cpu_count(), "rounds": args.rounds,
              "clients": args.clients, "batch_seconds": args.batch_seconds, "repeats": args.repeats,
              "predict_lengths": args.predict_lengths, "warmup_seconds": args.warmup_seconds,
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if args.cancellation_repeats:
        report["cancellation_cost"] = cancellation_cost(base, args.cancellation_repeats, args.predict_lengths)
    processes = []
    try:
        servers = {}
        modes = (("batching", ()), ("no_batching", ("--no-batching",)))[:2 if args.batch_seconds > 0 else 1]
        for label, tree, env in zip(labels, trees, envs):
            for mode, flags in modes:
                process, url = serve_load.start_server(base, env, *flags, cwd=tree)
                processes.append(process)
                servers[label, mode] = url
        warm(servers, args.clients, args.warmup_seconds)
        report["concurrency_1"] = concurrency_rounds(
            base, {label: servers[label, "batching"] for label in labels}, args.rounds, args.repeats,
            args.predict_lengths)
        report["batching_on_the_server"] = (batching_rounds(servers, args.rounds, args.clients, args.batch_seconds)
                                            if args.batch_seconds > 0 else [])
        report["summary"] = summarize(labels, report["concurrency_1"], report["batching_on_the_server"])
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    serve_load.write_report(report, args.output)


if __name__ == "__main__":
    main()
