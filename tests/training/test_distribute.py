"""Data-parallel training: N replicas follow one device's loss curve at the same global batch.

Each run happens in a fresh interpreter: the number of CPU devices is fixed before
TensorFlow or JAX starts, and a multi-worker strategy must be made at program start.
"""

import json
import os

import keras
import numpy as np
import pytest

from tests.test_case import TINY_TEXT

from kerazoo.training import resolve_config
from kerazoo.training.distribute import distribution_scope
from tests.test_case import run_python
from tests.test_case import run_tf_workers

# Trains the same tiny LSTM on one device and on two, and prints both runs' metrics.
COMPARE = r"""
import json, sys
PREPARE
import keras
from kerazoo.training import resolve_config, train

class StepLosses(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.losses = []
    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))

results = {}
for distribute in ("none", "mirrored"):
    # One epoch, NumPy batches: the same windows in the same order on every engine. (tf.data
    # re-seeds its shuffle when a strategy distributes it, so its order differs from one device.)
    config = resolve_config(model="lstm", model_kwargs={"units": 16, "num_layers": 1, "embedding_dim": 8},
                            corpus=CORPUS, seq_length=12, batch_size=8, epochs=1, steps_per_epoch=8,
                            sample_every=0, verbose=0, learning_rate=0.02, pipeline="numpy", distribute=distribute)
    recorder = StepLosses()
    model, _, metrics = train(config, OUTPUT + "/" + distribute, callbacks=[recorder])
    results[distribute] = {"replicas": metrics["replicas"], "wall_s": metrics["wall_s"], "loss": recorder.losses,
                           "weights": [w.tolist() for w in model.get_weights()]}
print("RESULT" + json.dumps(results))
"""

TWO_TF_CPUS = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""


@pytest.fixture
def text_file(tmp_path):
    """Enough text that the validation split holds a full batch of 8 windows of 12."""
    path = tmp_path / "text.txt"
    path.write_text(TINY_TEXT * 40, encoding="utf-8")
    return str(path)


def _result(process):
    assert process.returncode == 0, process.stderr[-3000:]
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def _assert_same_curve(results):
    single, parallel = results["none"], results["mirrored"]
    assert (single["replicas"], parallel["replicas"]) == (1, 2)
    assert single["loss"][-1] < single["loss"][0]
    np.testing.assert_allclose(parallel["loss"], single["loss"], rtol=1e-4)
    for a, b in zip(parallel["weights"], single["weights"]):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-4)


def _code(prepare, corpus, output):
    return COMPARE.replace("PREPARE", prepare).replace("CORPUS", repr(corpus)).replace("OUTPUT", repr(output))


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpus_follows_the_single_device_curve(text_file, tmp_path):
    process = run_python(_code(TWO_TF_CPUS, text_file, str(tmp_path)), env={"KERAS_BACKEND": "tensorflow"})
    _assert_same_curve(_result(process))


@pytest.mark.slow
def test_jax_data_parallel_on_two_host_devices_follows_the_single_device_curve(text_file, tmp_path):
    pytest.importorskip("jax")
    env = {"KERAS_BACKEND": "jax",
           "XLA_FLAGS": " ".join(filter(None, [os.environ.get("XLA_FLAGS"), "--xla_force_host_platform_device_count=2"]))}
    process = run_python(_code("", text_file, str(tmp_path)), env=env)
    _assert_same_curve(_result(process))


@pytest.mark.slow
def test_two_process_multi_worker_run_ends_with_identical_weights(text_file, tmp_path):
    """Two `kerazoo train --distribute multi-worker` processes on localhost ports, as on two machines."""
    folders = run_tf_workers(
        ["lstm", "--corpus", text_file, "--units", "16", "--num-layers", "1", "--embedding-dim", "8",
         "--seq-length", "12", "--batch-size", "8", "--epochs", "2", "--steps-per-epoch", "3",
         "--validation-steps", "1", "--sample-every", "0", "--verbose", "0"], tmp_path)
    models = [keras.saving.load_model(os.path.join(folder, "model.keras"), compile=False) for folder in folders]
    metrics = [json.load(open(os.path.join(folder, "metrics.json"))) for folder in folders]
    assert [m["replicas"] for m in metrics] == [2, 2] and metrics[0]["steps"] == 6
    for a, b in zip(*(model.get_weights() for model in models)):
        np.testing.assert_array_equal(a, b)


def test_distribute_names_are_checked(text_file):
    with pytest.raises(ValueError, match="`distribute` must be one of .*Received: distribute='ring'"):
        resolve_config(model="lstm", corpus=text_file, distribute="ring")
    with pytest.raises(ValueError, match="distribute='ring'"):
        with distribution_scope("ring"):
            pass


@pytest.mark.parametrize("model", ["lstm", "word2vec"])
def test_a_multi_worker_run_is_not_bounded_by_each_workers_clock(model, text_file, tmp_path, capsys):
    """Workers that each read their own clock could stop at different steps; the flag is refused up front."""
    from kerazoo.cli import main

    code = main(["train", model, "--corpus", text_file, "--distribute", "multi-worker", "--max-minutes", "5",
                 "--output", str(tmp_path / "run")])
    assert code != 0
    assert "`max_minutes` cannot bound a multi-worker run" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    # word2vec's presets train with the hogwild step, which runs on one machine: several take the Keras step.
    step = {"step": "keras"} if model == "word2vec" else {}
    config = resolve_config(model=model, corpus=text_file, distribute="multi-worker", epochs=1, **step)
    assert config["max_minutes"] is None  # epochs bound it instead


def test_no_distribution_is_one_replica():
    with distribution_scope("none") as replicas:
        assert replicas == 1


def test_word2vec_names_the_one_engine_it_takes(tmp_path, capsys):
    from kerazoo.cli import main

    with pytest.raises(SystemExit):
        main(["train", "word2vec", "--distribute", "mirrored", "--output", str(tmp_path / "run")])
    assert "argument --distribute: invalid choice: 'mirrored' (choose from 'none', 'multi-worker')" in (
        capsys.readouterr().err)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("model", ["transformer"])
def test_cli_refuses_distribute_for_models_it_does_not_distribute(model, tmp_path, capsys):
    from kerazoo.cli import main

    code = main(["train", model, "--distribute", "mirrored", "--output", str(tmp_path / "run")])
    assert code != 0
    assert f"distribute='mirrored' for model={model!r}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
