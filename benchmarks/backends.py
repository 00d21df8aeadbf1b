"""Training throughput of every family on each Keras backend, and data-parallel scaling on 2 CPU devices.

    python benchmarks/backends.py --results benchmarks/results/backends.jsonl

Each backend runs in its own interpreter (the backend is fixed at import). Per family it
times `--steps` `model.fit` steps on random ids after a warm-up fit that compiles, and
prints one JSON line: tokens/s is batch x sequence length / seconds per step. `--scaling`
adds the same char LSTM trained by `kerazoo.training.train` on one device and with
`distribute="mirrored"` over 2 CPU devices (TensorFlow logical CPUs, JAX host devices):
on a 2-core CPU this shows the engine is wired, not a speed-up.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Small CPU configurations, one per family; (builder, kwargs, batch, length, seq2seq).
FAMILIES = {
    "simple_rnn": ("build_simple_rnn", dict(units=128, num_layers=2, embedding_dim=32), 32, 64, False),
    "lstm": ("build_lstm", dict(units=128, num_layers=2, embedding_dim=32), 32, 64, False),
    "gru": ("build_gru", dict(units=128, num_layers=2, embedding_dim=32), 32, 64, False),
    "gpt": ("build_gpt", dict(num_layers=4, num_heads=4, hidden_dim=128, max_sequence_length=64), 32, 64, False),
    "transformer": ("build_transformer", dict(num_layers=2, num_heads=4, hidden_dim=128, intermediate_dim=256,
                                              max_sequence_length=64), 32, 32, True),
    "seq2seq_lstm": ("build_seq2seq_lstm", dict(embedding_dim=32, units=128, max_sequence_length=64), 32, 32, True),
}
VOCABULARY_SIZE = 65
TEXT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\nO Romeo, Romeo, wherefore art thou Romeo?\n\n"

THROUGHPUT = r"""
import json, time
import numpy as np
import keras
import kerazoo
FAMILIES = FAMILIES_JSON
for name, (builder, kwargs, batch, length, seq2seq) in FAMILIES.items():
    if seq2seq:
        model = getattr(kerazoo, builder)(VOCAB, VOCAB, **kwargs)
    else:
        model = getattr(kerazoo, builder)(VOCAB, **kwargs)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    rows = batch * (STEPS + 2)
    ids = rng.integers(1, VOCAB, (rows, length + 1)).astype("int32")
    x = {"encoder_token_ids": ids[:, 1:], "decoder_token_ids": ids[:, :-1]} if seq2seq else ids[:, :-1]
    y = ids[:, 1:]
    head = lambda a: {k: v[: 2 * batch] for k, v in a.items()} if isinstance(a, dict) else a[: 2 * batch]
    tail = lambda a: {k: v[2 * batch:] for k, v in a.items()} if isinstance(a, dict) else a[2 * batch:]
    model.fit(head(x), head(y), batch_size=batch, verbose=0)  # compiles
    start = time.perf_counter()
    model.fit(tail(x), tail(y), batch_size=batch, verbose=0)
    step = (time.perf_counter() - start) / STEPS
    print("ROW" + json.dumps({"kind": "throughput", "family": name, "backend": keras.backend.backend(),
                              "batch": batch, "length": length, "parameters": model.count_params(),
                              "ms_per_step": round(1000 * step, 1), "tokens_per_s": round(batch * length / step)}),
          flush=True)
"""

SCALING = r"""
import json
PREPARE
import keras
from kerazoo.training import resolve_config, train
for distribute in ("none", "mirrored"):
    config = resolve_config(model="lstm", model_kwargs={"units": 128, "num_layers": 2, "embedding_dim": 32},
                            corpus=CORPUS, seq_length=64, batch_size=32, epochs=2, steps_per_epoch=STEPS,
                            validation_steps=1, sample_every=0, verbose=0, pipeline="numpy", distribute=distribute)
    _, _, metrics = train(config, OUTPUT + "/" + distribute)
    last = metrics["history"][-1]
    print("ROW" + json.dumps({"kind": "scaling", "family": "lstm", "backend": keras.backend.backend(),
                              "distribute": distribute, "replicas": metrics["replicas"],
                              "global_batch": 32, "length": 64, "epoch_2_loss": round(last["loss"], 4),
                              "wall_s_2_epochs": metrics["wall_s"],
                              "train_chars_per_s_incl_compile": metrics["train_chars_per_s"]}), flush=True)
"""

TWO_DEVICES = {
    "tensorflow": (
        "import tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)\n",
        {},
    ),
    "jax": ("", {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}),
}


def run(code, backend, extra_env=None):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", **(extra_env or {}))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPOSITORY, os.environ.get("PYTHONPATH")]))
    process = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    if process.returncode != 0:
        print(process.stderr[-3000:], file=sys.stderr)
    return [json.loads(line[3:]) for line in process.stdout.splitlines() if line.startswith("ROW")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch", help="skipped where not installed")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per family")
    parser.add_argument("--scaling", action="store_true", help="also train the LSTM on 1 and 2 CPU devices")
    parser.add_argument("--results", help="append the JSON lines to this file")
    args = parser.parse_args(argv)
    rows = []
    for backend in args.backends.split(","):
        if importlib.util.find_spec(backend) is None:
            print(f"skipping {backend}: not installed", file=sys.stderr)
            continue
        code = THROUGHPUT.replace("FAMILIES_JSON", repr(FAMILIES)).replace("VOCAB", str(VOCABULARY_SIZE))
        rows += run(code.replace("STEPS", str(args.steps)), backend)
        if args.scaling and backend in TWO_DEVICES:
            with tempfile.TemporaryDirectory() as folder:
                corpus = os.path.join(folder, "text.txt")
                with open(corpus, "w", encoding="utf-8") as f:
                    f.write(TEXT * 400)
                prepare, env = TWO_DEVICES[backend]
                code = (SCALING.replace("PREPARE", prepare).replace("CORPUS", repr(corpus))
                        .replace("OUTPUT", repr(folder)).replace("STEPS", str(args.steps)))
                rows += run(code, backend, env)
    for row in rows:
        print(json.dumps(row))
    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps({"date": "2026-11-21", "hardware": "2-core CPU development machine (shared)",
                                    **row}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
