"""word2vec streamed from disk: peak memory and words/s on a 100-million-word corpus against the plays.

    # 1. Write the corpus (outside the repository): the plays' sentences, reshuffled and
    #    repeated, 100 shards of 1M words each (about 560 MB).
    python benchmarks/word2vec_stream.py make --words 100000000 --folder /tmp/kerazoo-w2v-100m

    # 2. Train on it and on the plays, each run in its own process (its own peak RSS):
    python benchmarks/word2vec_stream.py run --folder /tmp/kerazoo-w2v-100m --max-minutes 4

    # 3. The input pipeline alone, CPU ms per batch: the first 2 shards in memory and streamed.
    python benchmarks/word2vec_stream.py pipeline --folder /tmp/kerazoo-w2v-100m --shards 2

`run` trains kerazoo's word2vec (gensim's model settings: window 5, 5
negatives, sample 1e-3, min_count 5, batch 4,096) three times, one process
each:

- `plays (in memory)`: the complete plays as the named corpus `shakespeare`,
  the in-memory pipeline;
- `plays (streamed)`: the same sentences as one text file, streamed;
- `100M (streamed)`: the shards under `--folder`, streamed, as a glob.

Each reports its peak RSS (`ru_maxrss` of its process: counting pass,
pipeline and training), the counting pass's seconds, and its training rate in
corpus words per second, measured from the end of the first compiled call
(XLA compilation excluded) to the end of training. `--max-minutes` bounds a
run's training (the runner's time budget): a bounded run trains a prefix of
the epoch, and its rate and memory are those of the whole run, since the
stream holds one shard at a time whatever the prefix. `--max-minutes 0` trains
the full epoch (about 100M words: roughly 5 minutes at 400k words/s on a quiet
2-core machine, more on a loaded one). The 100M stream trains `--epochs` epochs
(1), the plays `--plays-epochs` (5): one epoch of the plays trains for about
2 s, too short a span for a rate that the machine's noise does not swamp.

The counting pass of a streamed corpus encodes its shards to token ids once,
into `--cache-dir` (default `~/.cache/kerazoo`); every epoch reads those ids,
and a later run over unchanged shards reads no text at all, so `prepare_s`
of a stream's first run includes the encoding and later runs' do not.
`--rounds N` runs the three N times, alternating their order, and gives
each round's words/s ratios against the plays in memory and their median:
only a ratio from one round counts on shared cores.

`--memory-shards 2` adds the comparison that isolates streaming: the first
2 shards (2M words) trained `--plays-epochs` epochs held in memory (the
sentences loaded, then the in-memory pipeline) and streamed, the same text
and vocabulary both ways (`words_per_s_vs_same_text_in_memory`). The whole
100M words cannot be held in memory under 2 GB, and the plays have a third
of its vocabulary. Both train several epochs: the in-memory pipeline draws
an epoch's pairs before its first batch, so over a single epoch its drawing
would fall outside the measured span while the stream's would not.

`--step hogwild` trains every run with the hogwild step (the presets' own)
instead of `model.fit`: a stream is then read one shard's token ids at a time,
and a run's words/s spans all its epochs from the start of training (nothing
is compiled per run). Its time budget stops a run only between epochs, so use
`--max-minutes 0`.

Prints one JSON line per run and appends them to
benchmarks/results/word2vec_stream.jsonl.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results_table  # noqa: E402


def make(words, folder, shard_words, seed):
    """Writes `words` words of the plays' sentences, reshuffled and repeated, into shards."""
    import numpy as np

    from kerazoo.models.word2vec.word2vec_corpus import load_sentences

    sentences = [" ".join(s) for s in load_sentences("shakespeare")]
    lengths = np.array([len(s.split()) for s in sentences])
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    written, shard = 0, 0
    while written < words:
        budget = min(shard_words, words - written)
        lines, count = [], 0
        while count < budget:
            for i in rng.permutation(len(sentences)):
                lines.append(sentences[i])
                count += lengths[i]
                if count >= budget:
                    break
        path = os.path.join(folder, f"plays-{shard:04d}.txt")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(path + ".tmp", path)
        written += count
        shard += 1
    print(json.dumps({"folder": folder, "shards": shard, "words": int(written)}), flush=True)


# One training run, in a fresh process so that its peak RSS is its own.
CHILD = r"""
import json, os, resource, sys, time
import keras
from kerazoo.training import resolve_word2vec_config, train_word2vec

corpus, max_minutes, epochs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
cache_dir = (sys.argv[4] or None) if len(sys.argv) > 4 else None
step = (sys.argv[5] or "keras") if len(sys.argv) > 5 else "keras"

class Rate(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.first = None
        self.begin = time.monotonic()
    def on_train_batch_end(self, batch, logs=None):
        now, step = time.monotonic(), int(self.model.optimizer.iterations.numpy())
        if self.first is None:
            self.first = (now, step)
        self.last = (now, step)
    def on_train_end(self, logs=None):
        self.end = time.monotonic()

rate = Rate()
sentences = None
if corpus.startswith("memory:"):
    # The same shards held in memory: every sentence loaded, then the in-memory pipeline.
    import glob
    from kerazoo.models.word2vec.word2vec_corpus import load_sentences
    start = time.perf_counter()
    sentences = [s for path in sorted(glob.glob(corpus[len("memory:"):])) for s in load_sentences(path)]
    load_s = time.perf_counter() - start
config = resolve_word2vec_config(preset="gensim", step=step, corpus=corpus, epochs=epochs, verbose=0,
                                 max_minutes=max_minutes or None, cache_dir=cache_dir)
start = time.perf_counter()
_, vocabulary, _, metrics = train_word2vec(config, callbacks=[rate], sentences=sentences)
if step == "keras":
    # From the end of the first compiled call (XLA compilation excluded) to the end of training.
    steps = rate.last[1] - rate.first[1]
    seconds = rate.last[0] - rate.first[0]
    words_per_step = metrics["corpus_words"] / metrics["steps_per_epoch"]
    pairs_per_step = metrics["batch_size"]
else:
    # The hogwild step compiles nothing per run (Numba's cache): every epoch, from the start of training.
    steps = metrics["steps"]
    seconds = rate.end - rate.begin
    words_per_step, pairs_per_step = metrics["corpus_words"], metrics["pairs_per_epoch"]
print("RESULT" + json.dumps({
    "step": step,
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "words_per_s": round(steps * words_per_step / seconds, 1),
    "pairs_per_s": round(steps * pairs_per_step / seconds, 1),
    "measured_steps": steps, "measured_s": round(seconds, 2),
    "trained_words": round(metrics["steps"] * words_per_step),
    "corpus_words": metrics["corpus_words"], "vocabulary_size": metrics["vocabulary_size"],
    "shards": metrics.get("shards"), "streamed": bool(metrics.get("streamed")),
    "steps_per_epoch": metrics.get("steps_per_epoch", 1), "steps": metrics["steps"],
    "prepare_s": metrics["data_s"], "total_s": round(time.perf_counter() - start, 2),
    "stopped_by_time_budget": metrics["stopped_by_time_budget"],
    "epoch_loss": metrics["history"][-1]["loss"] if metrics["history"] else None,
}))
"""


def run_one(name, corpus, max_minutes, epochs, cache_dir=None, step="keras"):
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.run([sys.executable, "-c", CHILD, corpus, str(max_minutes), str(epochs), cache_dir or "", step],
                             capture_output=True, text=True, env=env)
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{process.stderr[-3000:]}")
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT"))
    return {"run": name, "corpus": corpus, **json.loads(line[len("RESULT"):])}


def run(folder, max_minutes, epochs, plays_file, save, plays_epochs=5, rounds=1, cache_dir=None, memory_shards=0,
        step="keras"):
    from kerazoo.training.publish import hardware

    if not os.path.exists(plays_file):
        from kerazoo.models.word2vec.word2vec_corpus import load_sentences

        with open(plays_file, "w", encoding="utf-8") as f:
            f.write("\n".join(" ".join(s) for s in load_sentences("shakespeare")) + "\n")
    runs = [
        ("plays (in memory)", "shakespeare", plays_epochs),
        ("plays (streamed)", plays_file, plays_epochs),
        ("100M (streamed)", os.path.join(folder, "*.txt"), epochs),
    ]
    if memory_shards:
        # The first shards of the corpus, the same text both ways (a folder of links to them, so that the
        # stream finds their encoding in the cache): held in memory, and streamed, `--plays-epochs` epochs each.
        part = _first_shards(folder, memory_shards)
        words = f"first {memory_shards} shards"
        runs += [(f"{words} (in memory)", "memory:" + os.path.join(part, "*.txt"), plays_epochs),
                 (f"{words} (streamed)", part, plays_epochs)]
    rows = []
    # Rounds alternate the order of the runs, so that no run always meets the machine's load at the
    # same moment; a ratio counts only within a round. The first round of a stream encodes its shards
    # (the counting pass writes the token ids); later rounds find them encoded.
    for round_index in range(rounds):
        round_rows = []
        for name, corpus, run_epochs in (runs if round_index % 2 == 0 else runs[::-1]):
            load = os.getloadavg()[0]
            row = run_one(name, corpus, max_minutes, run_epochs, cache_dir, step)
            row.update({
                "benchmark": "word2vec_stream", "round": round_index + 1, "max_minutes": max_minutes,
                "epochs": run_epochs, "load_average_1min": round(load, 2), "hardware": hardware(),
                "date": datetime.date.today().isoformat(),
            })
            print(json.dumps(row), flush=True)
            round_rows.append(row)
        reference = next(row["words_per_s"] for row in round_rows if row["run"] == runs[0][0])
        for row in round_rows:
            row["words_per_s_vs_plays_in_memory"] = round(row["words_per_s"] / reference, 3)
        if memory_shards:
            # The ratio that isolates streaming: the same shards, the same vocabulary, in memory against streamed.
            held = next(row["words_per_s"] for row in round_rows if row["run"] == runs[3][0])
            for row in round_rows:
                if row["run"] in (runs[3][0], runs[4][0]):
                    row["words_per_s_vs_same_text_in_memory"] = round(row["words_per_s"] / held, 3)
        rows += round_rows
    ratios = {name: [row["words_per_s_vs_plays_in_memory"] for row in rows if row["run"] == name] for name, _, _ in runs}
    summary = {"ratios": ratios, "median_ratios": {name: float(np.median(r)) for name, r in ratios.items()}}
    if memory_shards:
        same = [row["words_per_s_vs_same_text_in_memory"] for row in rows if row["run"] == runs[4][0]]
        summary.update(same_text_ratios=same, same_text_median_ratio=float(np.median(same)))
    print(json.dumps(summary), flush=True)
    if save:
        results_table.append("word2vec_stream.jsonl", rows)
    return rows


def pipeline(folder, shards, cache_dir, rounds, save, epochs=2):
    """The input pipeline's CPU per batch, with no training: the first `shards` shards held in memory and
    streamed, `epochs` whole epochs each (every pair drawn counts, the first epoch's too), alternating."""
    import glob

    from kerazoo.training.publish import hardware
    from kerazoo.models.word2vec.word2vec_corpus import load_sentences
    from kerazoo.models.word2vec.word2vec_family import WORD2VEC_FAMILY
    from kerazoo.training import resolve_word2vec_config

    part = _first_shards(folder, shards)
    sentences = [s for path in sorted(glob.glob(os.path.join(part, "*.txt"))) for s in load_sentences(path)]
    config = resolve_word2vec_config(preset="gensim", step="keras", corpus=part, verbose=0, cache_dir=cache_dir,
                                     epochs=epochs + 1)
    data = {"in memory": WORD2VEC_FAMILY.prepare(config, corpus=sentences), "streamed": WORD2VEC_FAMILY.prepare(config)}
    batches = epochs * data["in memory"].steps_per_epoch
    rows = []
    for round_index in range(rounds):
        for name in (["in memory", "streamed"] if round_index % 2 == 0 else ["streamed", "in memory"]):
            load = os.getloadavg()[0]
            wall, cpu = time.perf_counter(), time.process_time()
            iterator = iter(data[name].train)
            for _ in range(batches):
                next(iterator)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            del iterator
            rows.append({"benchmark": "word2vec_stream_pipeline", "run": f"first {shards} shards ({name})",
                         "round": round_index + 1, "batches": batches,
                         "cpu_ms_per_batch": round(1000 * cpu / batches, 3), "wall_ms_per_batch": round(1000 * wall / batches, 3),
                         "load_average_1min": round(load, 2), "hardware": hardware(),
                         "date": datetime.date.today().isoformat()})
            print(json.dumps(rows[-1]), flush=True)
    if save:
        results_table.append("word2vec_stream.jsonl", rows)
    return rows


def _first_shards(folder, shards):
    """A folder of links to the first `shards` shards of `folder` (the stream finds their encoding in the cache)."""
    folder = os.path.abspath(folder)
    part = f"{folder}-first-{shards}"
    os.makedirs(part, exist_ok=True)
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".txt"))[:shards]:
        if not os.path.exists(os.path.join(part, name)):
            os.symlink(os.path.join(folder, name), os.path.join(part, name))
    return part


def main(argv=None):
    sys.path.insert(0, HERE)
    sys.path.insert(0, ROOT)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make_parser = commands.add_parser("make", help="write the corpus's shards")
    make_parser.add_argument("--words", type=int, default=100_000_000)
    make_parser.add_argument("--shard-words", type=int, default=1_000_000)
    make_parser.add_argument("--folder", default="/tmp/kerazoo-w2v-100m")
    make_parser.add_argument("--seed", type=int, default=0)
    run_parser = commands.add_parser("run", help="train on the plays and on the shards")
    run_parser.add_argument("--folder", default="/tmp/kerazoo-w2v-100m")
    run_parser.add_argument("--max-minutes", type=float, default=4.0, help="0: the whole epoch")
    run_parser.add_argument("--epochs", type=int, default=1, help="epochs of the 100M stream")
    run_parser.add_argument("--plays-epochs", type=int, default=5, help="epochs of each plays run")
    run_parser.add_argument("--plays-file", default="/tmp/kerazoo-w2v-plays.txt")
    run_parser.add_argument("--rounds", type=int, default=1, help="the runs alternate this many times")
    run_parser.add_argument("--cache-dir", help="where streamed shards are kept as token ids (default ~/.cache/kerazoo)")
    run_parser.add_argument("--memory-shards", type=int, default=0,
                            help="also train the first N shards in memory and streamed, the same text, --plays-epochs epochs")
    run_parser.add_argument("--step", choices=["keras", "hogwild"], default="keras",
                            help="the fit step (hogwild: its time budget stops a run only between epochs)")
    run_parser.add_argument("--no-save", action="store_true")
    pipeline_parser = commands.add_parser("pipeline", help="the pipeline's CPU per batch, in memory and streamed")
    pipeline_parser.add_argument("--folder", default="/tmp/kerazoo-w2v-100m")
    pipeline_parser.add_argument("--shards", type=int, default=2)
    pipeline_parser.add_argument("--rounds", type=int, default=2)
    pipeline_parser.add_argument("--cache-dir")
    pipeline_parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "pipeline":
        pipeline(args.folder, args.shards, args.cache_dir, args.rounds, not args.no_save)
    elif args.command == "make":
        start = time.perf_counter()
        make(args.words, args.folder, args.shard_words, args.seed)
        print(f"written in {time.perf_counter() - start:.1f} s", flush=True)
    else:
        run(args.folder, args.max_minutes, args.epochs, args.plays_file, not args.no_save, args.plays_epochs,
            args.rounds, args.cache_dir, args.memory_shards, args.step)


if __name__ == "__main__":
    main()
