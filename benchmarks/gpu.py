"""GPU training speed of kerazoo models, side by side with plain PyTorch models of the same shapes.

Runs on the device machine (JAX, PyTorch and CUDA; no TensorFlow):

    KERAS_BACKEND=jax python benchmarks/gpu.py                    # every case
    KERAS_BACKEND=jax python benchmarks/gpu.py --cases lstm,gpt --results benchmarks/results/gpu.jsonl

Each case prints one JSON line with the Keras figure, the PyTorch figure measured in the same
run, and their ratio:

- `lstm`: char LSTM, 2 layers of 512, batch 64, 100 characters: training characters/s against
  `torch.nn.LSTM` (cuDNN). Target >= 0.9x. The run fails if a Keras LSTM layer did not take
  the backend's cuDNN kernel (Keras falls back to a scan silently).
- `gpt`: nanoGPT's shakespeare_char GPU config (6 layers, 6 heads, width 384, context 256,
  batch 64, dropout 0.2): ms per iteration and model FLOPs utilisation (nanoGPT's estimate),
  against a PyTorch GPT with `scaled_dot_product_attention` and `torch.compile`. Target >= 1.0x.
  Both sides in float32 with TF32 matmuls (JAX's and `torch.set_float32_matmul_precision("high")`).
- `gpt-bf16`: the same with `mixed_bfloat16` against `torch.autocast(bfloat16)`.
- `gpt-no-xla`, `gpt-spe`: what XLA (`jit_compile`) and `steps_per_execution=8` add to Keras
  (their PyTorch side is the float32 reference).

The PyTorch references need CUDA; without it the script stops with a message before any
Keras work. Peak FLOPs for MFU come from `--peak-tflops` (default: the device's dense bf16 peak
from `PEAK_TFLOPS`, as nanoGPT divides by A100's bf16 peak).
"""

import argparse
import datetime
import json
import os
import sys
import time

import numpy as np

VOCABULARY_SIZE = 65  # tiny_shakespeare's characters
LSTM = dict(units=512, num_layers=2, embedding_dim=64, batch_size=64, seq_length=100)
GPT = dict(num_layers=6, num_heads=6, hidden_dim=384, max_sequence_length=256, dropout=0.2, batch_size=64)
# Dense bf16 tensor-core peaks from the vendor data sheets (SXM parts), in TFLOP/s.
PEAK_TFLOPS = {"H100": 989.4, "H200": 989.4, "A100": 312.0}
CASES = ("lstm", "gpt", "gpt-bf16", "gpt-no-xla", "gpt-spe")


def require_torch_cuda():
    """The PyTorch side of every case; fails clearly where it cannot run."""
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/gpu.py needs PyTorch for its reference models: `pip install torch` (a CUDA build).")
    if not torch.cuda.is_available():
        sys.exit(f"benchmarks/gpu.py needs a CUDA GPU: torch {torch.__version__} sees none.")
    torch.backends.cudnn.benchmark = True
    torch.set_float32_matmul_precision("high")
    return torch


def random_batches(steps, batch_size, seq_length, seed=0):
    ids = np.random.default_rng(seed).integers(0, VOCABULARY_SIZE, (steps * batch_size, seq_length + 1), dtype=np.int32)
    return ids[:, :-1], ids[:, 1:]


# ----------------------------------------------------------------------------- Keras side


def count_cudnn_lstm_calls():
    """Wraps the backend's fused LSTM, so the run can prove the cuDNN kernel ran."""
    from keras.src import backend

    calls = {"cudnn": 0}
    fused = backend.lstm

    def counted(*args, **kwargs):
        out = fused(*args, **kwargs)  # raises NotImplementedError when Keras must fall back
        calls["cudnn"] += 1
        return out

    backend.lstm = counted
    return calls


def time_keras_fit(model, batch_size, seq_length, steps, steps_per_execution=1, jit_compile="auto"):
    """Seconds per training step of `model.fit`, after a first fit that compiles."""
    import keras

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    x, y = random_batches(steps, batch_size, seq_length)
    warm = 2 * steps_per_execution
    model.fit(x[: warm * batch_size], y[: warm * batch_size], batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    float(history.history["loss"][-1])  # waits for the device
    return (time.perf_counter() - start) / steps


# ----------------------------------------------------------------------------- PyTorch side


def torch_char_lstm(torch):
    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCABULARY_SIZE, LSTM["embedding_dim"])
            self.lstm = torch.nn.LSTM(LSTM["embedding_dim"], LSTM["units"], LSTM["num_layers"], batch_first=True)
            self.head = torch.nn.Linear(LSTM["units"], VOCABULARY_SIZE)

        def forward(self, ids):
            return self.head(self.lstm(self.embedding(ids))[0])

    return CharLSTM()


def torch_gpt(torch):
    F = torch.nn.functional
    width, heads, context = GPT["hidden_dim"], GPT["num_heads"], GPT["max_sequence_length"]

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1 = torch.nn.LayerNorm(width, bias=False)
            self.qkv = torch.nn.Linear(width, 3 * width, bias=False)
            self.proj = torch.nn.Linear(width, width, bias=False)
            self.norm2 = torch.nn.LayerNorm(width, bias=False)
            self.up = torch.nn.Linear(width, 4 * width, bias=False)
            self.down = torch.nn.Linear(4 * width, width, bias=False)
            self.dropout = torch.nn.Dropout(GPT["dropout"])

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.norm1(x)).split(width, dim=2)
            q, k, v = (z.view(b, t, heads, width // heads).transpose(1, 2) for z in (q, k, v))
            drop = GPT["dropout"] if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=True)
            x = x + self.dropout(self.proj(y.transpose(1, 2).reshape(b, t, width)))
            return x + self.dropout(self.down(F.gelu(self.up(self.norm2(x)))))

    class TorchGPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = torch.nn.Embedding(VOCABULARY_SIZE, width)
            self.positions = torch.nn.Embedding(context, width)
            self.dropout = torch.nn.Dropout(GPT["dropout"])
            self.blocks = torch.nn.ModuleList(Block() for _ in range(GPT["num_layers"]))
            self.norm = torch.nn.LayerNorm(width, bias=False)

        def forward(self, ids):
            positions = torch.arange(ids.shape[1], device=ids.device)
            x = self.dropout(self.tokens(ids) + self.positions(positions))
            for block in self.blocks:
                x = block(x)
            return self.norm(x) @ self.tokens.weight.T  # tied output embedding, as nanoGPT

    return TorchGPT()


def time_torch(torch, model, batch_size, seq_length, steps, compile=False, bf16=False):
    device = "cuda"
    model = model.to(device)
    step_model = torch.compile(model) if compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    x, y = (torch.from_numpy(a.astype(np.int64)).to(device) for a in random_batches(steps, batch_size, seq_length))

    def step(i):
        rows = slice(i * batch_size, (i + 1) * batch_size)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            logits = step_model(x[rows])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY_SIZE), y[rows].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    for i in range(3):  # compiles and autotunes
        step(i)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(steps):
        loss = step(i)
    loss.item()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


# ----------------------------------------------------------------------------- cases


def gpt_flops_per_iteration(parameters, batch_size):
    """nanoGPT's estimate_mfu: 6N + 12 L H Q T FLOPs per token, forward and backward."""
    layers, heads, context = GPT["num_layers"], GPT["num_heads"], GPT["max_sequence_length"]
    per_token = 6 * parameters + 12 * layers * heads * (GPT["hidden_dim"] // heads) * context
    return per_token * context * batch_size


def case_lstm(torch, steps):
    import keras

    from kerazoo import build_lstm

    calls = count_cudnn_lstm_calls()
    model = build_lstm(VOCABULARY_SIZE, units=LSTM["units"], num_layers=LSTM["num_layers"],
                       embedding_dim=LSTM["embedding_dim"])
    keras_step = time_keras_fit(model, LSTM["batch_size"], LSTM["seq_length"], steps)
    assert calls["cudnn"] >= LSTM["num_layers"], (
        f"The Keras LSTM did not take the cuDNN path on {keras.backend.backend()} "
        f"(fused calls: {calls['cudnn']}); it ran the slow scan."
    )
    torch_step = time_torch(torch, torch_char_lstm(torch), LSTM["batch_size"], LSTM["seq_length"], steps)
    chars = LSTM["batch_size"] * LSTM["seq_length"]
    return {
        "metric": "train chars/s",
        "keras": round(chars / keras_step),
        "torch": round(chars / torch_step),
        "ratio": round(torch_step / keras_step, 3),
        "target": 0.9,
        "keras_cudnn_calls_per_trace": calls["cudnn"],
    }


def case_gpt(torch, steps, peak_flops, bf16=False, jit_compile="auto", steps_per_execution=1):
    import keras

    from kerazoo import build_gpt

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if bf16 else "float32")
    try:
        model = build_gpt(VOCABULARY_SIZE, num_layers=GPT["num_layers"], num_heads=GPT["num_heads"],
                          hidden_dim=GPT["hidden_dim"], max_sequence_length=GPT["max_sequence_length"],
                          dropout=GPT["dropout"])
        keras_step = time_keras_fit(model, GPT["batch_size"], GPT["max_sequence_length"], steps,
                                    steps_per_execution=steps_per_execution, jit_compile=jit_compile)
        parameters = model.count_params()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    torch_step = time_torch(torch, torch_gpt(torch), GPT["batch_size"], GPT["max_sequence_length"], steps,
                            compile=True, bf16=bf16)
    flops = gpt_flops_per_iteration(parameters, GPT["batch_size"])
    return {
        "metric": "ms/iteration",
        "keras": round(1000 * keras_step, 2),
        "torch": round(1000 * torch_step, 2),
        "ratio": round(torch_step / keras_step, 3),
        "target": 1.0,
        "keras_mfu": round(flops / keras_step / peak_flops, 4),
        "torch_mfu": round(flops / torch_step / peak_flops, 4),
        "parameters": parameters,
        "precision": "mixed_bfloat16" if bf16 else "float32 (TF32 matmuls)",
        "jit_compile": jit_compile,
        "steps_per_execution": steps_per_execution,
    }


def run_case(name, torch, steps, peak_flops):
    if name == "lstm":
        return case_lstm(torch, steps)
    variants = {"gpt": {}, "gpt-bf16": {"bf16": True}, "gpt-no-xla": {"jit_compile": False},
                "gpt-spe": {"steps_per_execution": 8}}
    return case_gpt(torch, steps, peak_flops, **variants[name])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {','.join(CASES)}")
    parser.add_argument("--steps", type=int, default=50, help="timed training steps per side")
    parser.add_argument("--peak-tflops", type=float, help="the device's peak for MFU (default: PEAK_TFLOPS)")
    parser.add_argument("--results", help="also append the JSON lines to this file")
    args = parser.parse_args(argv)
    cases = args.cases.split(",")
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {list(CASES)}")
    torch = require_torch_cuda()  # before any Keras work, so a machine without CUDA stops at once
    import keras

    device = torch.cuda.get_device_name(0)
    peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in device), None)
    if peak is None:
        sys.exit(f"No peak FLOPs known for {device!r}: pass --peak-tflops.")
    for name in cases:
        row = {"case": name, "device": device, "backend": keras.backend.backend(),
               "date": datetime.date.today().isoformat(), "steps": args.steps,
               **run_case(name, torch, args.steps, peak * 1e12)}
        line = json.dumps(row)
        print(line, flush=True)
        if args.results:
            os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
            with open(args.results, "a", encoding="utf-8") as f:
                f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
