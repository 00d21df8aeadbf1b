"""nanoGPT's shakespeare_char runs with kerazoo's GPT: validation loss, wall time, iterations.

    python benchmarks/gpt_shakespeare.py --config nanogpt-cpu
    KERAS_BACKEND=jax python benchmarks/gpt_shakespeare.py --config nanogpt-gpu --mixed-precision

The run is `kerazoo.training.train` with the preset of the same name (the
call behind `kerazoo train gpt --preset nanogpt-cpu`): tiny_shakespeare,
nanoGPT's split (the first 1,003,854 characters train, the last 111,540 are
validation), windows at random starts, AdamW 1e-3 with 100 warmup steps and
cosine decay to 1e-4, beta2 0.99, weight decay 0.1, clipping at 1.

`val_loss` is the mean loss over every non-overlapping 64-character window
(256 for the GPU config) of the validation text, a complete pass rather than
nanoGPT's estimate from 20 or 200 random batches. `wall_s` runs from the
start of `train` (data, model, compilation) to the end of that evaluation.
Prints one JSON line and appends it to benchmarks/results/gpt_shakespeare.jsonl.

There is no fixed reference time here: absolute times on a shared machine
move from run to run, so the comparison with nanoGPT is a ratio measured in
one run, alternating the two systems, by `benchmarks/gpt_vs_nanogpt.py`.
The backend is the one `KERAS_BACKEND` names.
"""

import argparse
import datetime
import json
import os
import platform
import tempfile
import time

import keras

from kerazoo.training import resolve_config
from kerazoo.training import train

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_TEXT = os.path.join(HERE, "..", "..", "shared", "data", "tinyshakespeare", "input.txt")
CONFIGS = ("nanogpt-cpu", "nanogpt-gpu")
# Dense bf16 peak FLOP/s, for model FLOPs utilisation.
PEAK_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


def flops_per_token(model, context):
    """6N + 12 L T d per token (Chowdhery et al., 2022, appendix B), nanoGPT's estimate_mfu."""
    parameters = model.count_params() - model.max_sequence_length * model.hidden_dim
    return 6 * parameters + 12 * model.num_layers * context * model.hidden_dim


def device_name():
    try:
        import jax

        device = jax.devices()[0]
        if device.platform == "gpu":
            return device.device_kind
    except Exception:
        pass
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=CONFIGS, default="nanogpt-cpu")
    parser.add_argument("--corpus", default=os.environ.get("KERAZOO_TINY_SHAKESPEARE", SHARED_TEXT))
    parser.add_argument("--iters", type=int, default=None, help="override the preset's iterations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps-per-execution", type=int, default=None)
    parser.add_argument("--mixed-precision", action="store_true", help="mixed_bfloat16 policy")
    parser.add_argument("--no-jit", action="store_true", help="turn XLA compilation off")
    parser.add_argument("--untied", action="store_true",
                        help="a separate output matrix instead of nanoGPT's tied embedding (+vocab x width weights)")
    parser.add_argument("--results", default=os.path.join(HERE, "results", "gpt_shakespeare.jsonl"),
                        help="the JSON-lines file the row is appended to")
    args = parser.parse_args(argv)
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    config = resolve_config(
        preset=args.config,
        model_kwargs={"tie_weights": False} if args.untied else None,
        corpus=os.path.abspath(args.corpus),
        steps_per_epoch=args.iters,
        seed=args.seed,
        steps_per_execution=args.steps_per_execution,
        jit_compile=False if args.no_jit else None,
        verbose=0,
    )
    load_before = os.getloadavg()[0]
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as output:
        model, _, metrics = train(config, output)
    wall = time.monotonic() - start
    iters = metrics["steps"]
    context = config["seq_length"]
    tokens_per_s = iters * config["batch_size"] * context / metrics["wall_s"]
    row = {
        "config": args.config,
        "val_loss": round(metrics["best_val_loss"], 4),
        "wall_s": round(wall, 1),
        "iters": iters,
        "train_s": metrics["wall_s"],
        "ms_per_iter": round(1000 * metrics["wall_s"] / iters, 1),
        "parameters": model.count_params(),
        "tie_weights": model.tie_weights,
        "backend": keras.backend.backend(),
        "policy": keras.mixed_precision.global_policy().name,
        "jit_compile": config["jit_compile"],
        "steps_per_execution": config["steps_per_execution"],
        "device": device_name(),
        "seed": args.seed,
        # 1-minute load averages: above ~2 on 2 cores, other work shared the machine.
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/gpt_shakespeare.py --config " + args.config
        + (" --untied" if args.untied else "") + f" --seed {args.seed}",
    }
    peak = next((flops for name, flops in PEAK_FLOPS.items() if name in row["device"]), None)
    if peak:
        row["mfu"] = round(flops_per_token(model, context) * tokens_per_s / peak, 4)
    print(json.dumps(row), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
