"""Callbacks for char-model training: sample text, time budget, metrics.json."""

import json
import math
import os
import time

import keras


class SampleText(keras.callbacks.Callback):
    """Prints (and appends to a file) sampled text every `every` steps, as char-rnn does.

    Args:
        vocabulary: the `CharVocabulary` of the run.
        every: int. Steps between samples; 0 turns sampling off.
        length: int. Characters per sample.
        prompt: str. Where each sample starts.
        temperature: float.
        path: str or None. A file the samples are appended to.
    """

    def __init__(self, vocabulary, every=500, length=200, prompt="\n", temperature=0.8, path=None, seed=0):
        super().__init__()
        self.vocabulary = vocabulary
        self.every, self.length = every, length
        self.prompt, self.temperature = prompt, temperature
        self.path, self.seed = path, seed

    def on_train_begin(self, logs=None):
        # Counted here, so that batches do not read the model (a state sync on JAX).
        self._step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.every and self._step % self.every == 0:
            self.sample(self._step)

    def sample(self, step):
        from kerazoo.generation.text import generate_text

        text = generate_text(
            self.model, self.vocabulary, self.prompt, self.length, self.temperature, seed=self.seed + step
        )
        block = f"\n----- sample at step {step} -----\n{text}\n"
        print(block, flush=True)
        if self.path:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(block)


class TimeBudget(keras.callbacks.Callback):
    """Stops training once `seconds` of wall time have passed (checked every batch)."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self._start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        if time.monotonic() - self._start >= self.seconds:
            self.stopped_early = True
            self.model.stop_training = True


class MetricsJSON(keras.callbacks.Callback):
    """Keeps `metrics.json` in the run folder up to date after every epoch.

    The history is read back from the run's CSV log, so a resumed run reports
    every epoch, including those before the interruption.

    Args:
        path: str. Where to write the JSON.
        csv_path: str. The `keras.callbacks.CSVLogger` file of the run.
        static: dict. Fixed facts (config, parameter count, ...).
        chars_per_step: int. batch_size * seq_length, for the throughput.
    """

    def __init__(self, path, csv_path, static, chars_per_step):
        super().__init__()
        self.path, self.csv_path = path, csv_path
        self.static = static
        self.chars_per_step = chars_per_step
        self.extra = {}

    def on_train_begin(self, logs=None):
        self._start = time.monotonic()
        self._start_step = self._iterations()

    def _iterations(self):
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_epoch_end(self, epoch, logs=None):
        self.write()

    def on_train_end(self, logs=None):
        self.write()

    def write(self):
        history = read_csv_history(self.csv_path)
        elapsed = time.monotonic() - self._start
        steps = self._iterations() - self._start_step
        metrics = dict(self.static)
        metrics.update(
            {
                "steps": self._iterations(),
                "epochs_completed": len(history),
                "wall_s_this_session": round(elapsed, 2),
                "train_chars_per_s": round(steps * self.chars_per_step / elapsed, 1) if elapsed else None,
                "history": history,
            }
        )
        if history:
            last = history[-1]
            metrics["final"] = last
            with_val = [row for row in history if row.get("val_loss") is not None]
            if with_val:
                best = min(with_val, key=lambda row: row["val_loss"])
                metrics["best_val_loss"] = best["val_loss"]
                metrics["best_val_bpc"] = best["val_loss"] / math.log(2.0)
                metrics["best_epoch"] = best["epoch"]
        metrics.update(self.extra)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(metrics, f, indent=2)
        os.replace(tmp, self.path)
        return metrics


def read_csv_history(path):
    """Rows of a CSVLogger file as dicts of floats (epoch as int)."""
    import csv

    if not os.path.exists(path):
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            parsed = {}
            for key, value in row.items():
                if value in ("", None):
                    parsed[key] = None
                elif key == "epoch":
                    parsed[key] = int(float(value))
                else:
                    parsed[key] = float(value)
            rows.append(parsed)
    return rows
