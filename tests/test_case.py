"""Shared helpers for the tests (KerasHub style): tiny configurations and round-trip checks."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import keras

from kerazoo.data.vocabulary import CharVocabulary
from tests.backend_cases import TINY_TEXT  # noqa: F401  (many tests read it from here)


def tiny_vocabulary():
    return CharVocabulary.from_text(TINY_TEXT)


def random_ids(vocabulary_size, batch=2, time=5, seed=0):
    return np.random.default_rng(seed).integers(0, vocabulary_size, size=(batch, time)).astype("int32")


def randomize_weights(model, seed=0, scale=0.5):
    """Fixed non-trivial weights, so equivalence checks cannot pass by accident (e.g. zero biases)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, scale, w.shape).astype("float32") for w in model.get_weights()])
    return model


def run_model_saving_test(model, inputs, tmp_path):
    """The model survives `.keras` save/load and get_config/from_config with identical outputs."""
    expected = keras.ops.convert_to_numpy(model(inputs))
    path = os.path.join(str(tmp_path), "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(inputs)), expected, atol=1e-6)
    clone = model.__class__.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(inputs)), expected, atol=1e-6)
    assert clone.get_config() == model.get_config()
    return restored


def run_python(code, env=None, timeout=300):
    """Runs `code` in a fresh interpreter and returns the completed process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout
    )


def served_without_kerazoo(code, timeout=300):
    """Runs `code` in a fresh interpreter that cannot import kerazoo (no PYTHONPATH, no user site) and returns the
    JSON it printed after "RESULT"."""
    import json

    process = run_python(code, env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"}, timeout=timeout)
    assert process.returncode == 0, process.stderr[-3000:]
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def free_ports(count):
    """`count` distinct free localhost ports (all held open while they are picked)."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_tf_workers(train_arguments, output, workers=2, timeout=300):
    """`kerazoo train ... --distribute multi-worker` in `workers` processes, a TF cluster on localhost ports.

    Worker i writes its run to `output/worker{i}`; every process must end by itself and succeed.
    Returns the run folders.
    """
    addresses = [f"localhost:{port}" for port in free_ports(workers)]
    folders = [os.path.join(str(output), f"worker{index}") for index in range(workers)]
    processes = []
    for index, folder in enumerate(folders):
        tf_config = {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CONFIG=json.dumps(tf_config))
        command = [sys.executable, "-m", "kerazoo.cli", "train", *train_arguments, "--distribute", "multi-worker",
                   "--output", folder]
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=timeout))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    return folders
