"""kerazoo's GPT beside nanoGPT, alternating in one run: wall time ratio and full-pass val loss.

    python benchmarks/gpt_vs_nanogpt.py --nanogpt /tmp/nanogpt --nanogpt-python /work/venv-torch/bin/python
    KERAS_BACKEND=torch python benchmarks/gpt_vs_nanogpt.py --nanogpt ... --kerazoo-python VENV/bin/python

Absolute times on a shared machine move by up to 50% from run to run, so a
speed claim here is only ever a ratio of the two systems measured one after
the other in the same run: for each seed, nanoGPT trains, then kerazoo does.

The reference is nanoGPT's CPU run of shakespeare_char (4 layers, 4 heads,
128 wide, context 64, batch 12, 2000 iterations, no dropout, no
torch.compile), run from a nanoGPT tree that you provide (`--nanogpt`,
karpathy/nanoGPT with `data/shakespeare_char/prepare.py` already run on the
same tiny_shakespeare text). Its code is never part of kerazoo. Each seed runs
from a copy of its `train.py` whose `torch.manual_seed(1337 + ...)` names the
seed. Its checkpoint is then scored by `nanogpt_fullpass_eval.py` (`--scorer`,
by default the project's shared copy) as kerazoo's benchmark scores its own
model: the mean loss over every non-overlapping 64-character window of
val.bin, not nanoGPT's 20-batch estimate.

kerazoo's side is `benchmarks/gpt_shakespeare.py --config nanogpt-cpu` with
the same seed, in a process of its own, on the backend `KERAS_BACKEND` names;
arguments this script does not know are passed on to it (on torch, Keras takes
neither `steps_per_execution` > 1 nor XLA: add `--steps-per-execution 1 --no-jit`).

Both `wall_s` figures are whole processes, launch to exit: imports, data,
compilation, training, evaluations and checkpoints. The kerazoo row also
gives its in-process time (`train` to the end of its validation pass).
One JSON line per system and seed goes to stdout and to `--results`; the
last line is the summary with the ratio of the summed wall times.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCORER = os.path.join(ROOT, "..", "shared", "tools", "nanogpt_fullpass_eval.py")
# Both schedules warm up for 100 iterations (nanoGPT's config and the nanogpt-cpu preset).
WARMUP_STEPS = 100
SEED_LINE = re.compile(r"torch\.manual_seed\(\d+ \+ seed_offset\)")
# The CPU command of nanoGPT's README, with the context, batch and model of the nanogpt-cpu preset.
NANOGPT_ARGS = [
    "config/train_shakespeare_char.py", "--device=cpu", "--compile=False", "--eval_iters=20",
    "--log_interval=500", "--block_size=64", "--batch_size=12", "--n_layer=4", "--n_head=4", "--n_embd=128",
    "--dropout=0.0", "--always_save_checkpoint=True",
]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        return f"{os.cpu_count()} CPU cores ({names[0]})" if names else platform.machine()
    except OSError:
        return platform.machine()


def timed(command, cwd, env=None):
    """Runs `command`, returning (wall seconds, stdout); a failure raises with its output."""
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return wall, done.stdout


def seeded_train_script(nanogpt, seed):
    """A copy of nanoGPT's train.py that seeds with `seed` instead of 1337; returns its file name."""
    with open(os.path.join(nanogpt, "train.py"), encoding="utf-8") as f:
        source = f.read()
    if not SEED_LINE.search(source):
        raise ValueError(f"No `torch.manual_seed(N + seed_offset)` line in {nanogpt}/train.py to reseed.")
    name = f"train_seed{seed}.py"
    with open(os.path.join(nanogpt, name), "w", encoding="utf-8") as f:
        f.write(SEED_LINE.sub(f"torch.manual_seed({seed} + seed_offset)", source))
    return name


def run_nanogpt(args, seed, out_dir):
    script = seeded_train_script(args.nanogpt, seed)
    command = [args.nanogpt_python, script, *NANOGPT_ARGS, f"--max_iters={args.iters}",
               f"--lr_decay_iters={args.iters}", f"--out_dir={out_dir}",
               # nanoGPT's every 250 iterations; a shorter trial still evaluates and saves at its end.
               f"--eval_interval={min(250, args.iters)}"]
    wall, _ = timed(command, args.nanogpt)
    _, scored = timed([args.nanogpt_python, os.path.abspath(args.scorer), out_dir], args.nanogpt)
    found = re.search(r"nanogpt_estimate (\S+) full_pass_val (\S+)", scored)
    if not found:
        raise RuntimeError(f"Unexpected scorer output: {scored!r}")
    return {"system": "nanoGPT", "seed": seed, "wall_s": round(wall, 1),
            "val_loss": float(found.group(2)), "nanogpt_estimate": float(found.group(1))}


def run_kerazoo(args, seed, results):
    command = [args.kerazoo_python, os.path.join(HERE, "gpt_shakespeare.py"), "--config", "nanogpt-cpu",
               "--seed", str(seed), "--iters", str(args.iters), "--results", results]
    if args.corpus:
        command += ["--corpus", args.corpus]
    command += args.kerazoo_args
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    wall, out = timed(command, ROOT, env)
    row = json.loads(out.strip().splitlines()[-1])
    return {"system": "kerazoo", "seed": seed, "wall_s": round(wall, 1), "val_loss": row["val_loss"],
            "in_process_wall_s": row["wall_s"], "ms_per_iter": row["ms_per_iter"], "backend": row["backend"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nanogpt", required=True, help="a nanoGPT tree with data/shakespeare_char prepared")
    parser.add_argument("--nanogpt-python", required=True, help="a Python with torch, for nanoGPT")
    parser.add_argument("--kerazoo-python", default=sys.executable, help="the Python that runs kerazoo")
    parser.add_argument("--scorer", default=SCORER, help="nanogpt_fullpass_eval.py")
    parser.add_argument("--corpus", default=None, help="tiny_shakespeare input.txt (gpt_shakespeare.py's default)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1, 2])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--results", default=os.path.join(HERE, "results", "gpt_vs_nanogpt.jsonl"))
    # Anything else goes to gpt_shakespeare.py, e.g. `--steps-per-execution 1 --no-jit` on torch.
    args, args.kerazoo_args = parser.parse_known_args(argv)
    args.nanogpt = os.path.abspath(args.nanogpt)
    for name in ("nanogpt", "scorer"):
        if not os.path.exists(getattr(args, name)):
            raise ValueError(f"`--{name}` does not exist. Received: {name}={getattr(args, name)!r}")
    if args.iters <= WARMUP_STEPS:
        # Checked before nanoGPT runs: kerazoo's schedule refuses a run no longer than its warmup.
        raise ValueError(f"`--iters` must be > {WARMUP_STEPS}, the schedule's warmup. Received: iters={args.iters}")
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    common = {"iters": args.iters, "device": cpu_name(), "date": datetime.date.today().isoformat(),
              "command": "python benchmarks/gpt_vs_nanogpt.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    rows = []

    def record(row):
        row = {**row, **common, "load_avg": round(os.getloadavg()[0], 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            record(run_nanogpt(args, seed, os.path.join(scratch, f"out-s{seed}")))
            record(run_kerazoo(args, seed, os.path.join(scratch, "kerazoo.jsonl")))

    def total(system, key="wall_s"):
        return sum(row[key] for row in rows if row["system"] == system)

    def mean_loss(system):
        losses = [row["val_loss"] for row in rows if row["system"] == system]
        return round(sum(losses) / len(losses), 4)

    record({"system": "summary", "seeds": args.seeds,
            "nanogpt_wall_s": round(total("nanoGPT"), 1), "kerazoo_wall_s": round(total("kerazoo"), 1),
            "wall_ratio": round(total("kerazoo") / total("nanoGPT"), 3),
            "in_process_ratio": round(total("kerazoo", "in_process_wall_s") / total("nanoGPT"), 3),
            "nanogpt_mean_val_loss": mean_loss("nanoGPT"), "kerazoo_mean_val_loss": mean_loss("kerazoo"),
            "kerazoo_backend": rows[1]["backend"]})


if __name__ == "__main__":
    main()
