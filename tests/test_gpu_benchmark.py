"""benchmarks/gpu.py is ready to run where a GPU is lent: it imports, its PyTorch GPT has the
Keras GPT's shape, and without CUDA it stops with a message instead of a traceback."""

import importlib.util
import os
import subprocess
import sys

import pytest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPOSITORY, "benchmarks", "gpu.py")


def load_benchmark():
    spec = importlib.util.spec_from_file_location("gpu_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_cuda_the_benchmark_stops_with_a_message():
    process = subprocess.run([sys.executable, SCRIPT, "--cases", "lstm", "--steps", "1"], capture_output=True,
                             text=True, timeout=120)
    if process.returncode == 0:
        pytest.skip("a CUDA GPU is present: the benchmark ran")
    assert process.returncode == 1
    assert "benchmarks/gpu.py needs" in process.stderr and "Traceback" not in process.stderr


def test_unknown_cases_are_refused():
    process = subprocess.run([sys.executable, SCRIPT, "--cases", "lstm,rnn"], capture_output=True, text=True, timeout=120)
    assert process.returncode == 2 and "unknown cases ['rnn']" in process.stderr


def test_the_pytorch_gpt_reference_has_the_keras_gpt_parameter_count():
    torch = pytest.importorskip("torch")
    from kerazoo import build_gpt

    gpu = load_benchmark()
    config = gpu.GPT
    keras_model = build_gpt(gpu.VOCABULARY_SIZE, num_layers=config["num_layers"], num_heads=config["num_heads"],
                            hidden_dim=config["hidden_dim"], max_sequence_length=config["max_sequence_length"])
    keras_model(__import__("numpy").zeros((1, 4), "int32"))
    reference = gpu.torch_gpt(torch)
    assert sum(p.numel() for p in reference.parameters()) == keras_model.count_params()
    # nanoGPT's estimate: 6N + 12 L H Q T per token, T tokens per row.
    assert gpu.gpt_flops_per_iteration(1000, 2) == (6 * 1000 + 12 * 6 * 6 * 64 * 256) * 256 * 2
