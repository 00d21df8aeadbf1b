"""The runner's callbacks: sampled text, the time budget, and metrics.json with its clock."""

import json
import math
import os
import time

import keras


class SampleText(keras.callbacks.Callback):
    """Prints (and appends to a file) sampled text every `every` steps, as char-rnn does.

    Args:
        sample: callable `(model, prompt, length, temperature, seed) -> str`.
        every: int. Steps between samples; 0 turns sampling off.
        length: int. Characters per sample.
        prompt: str. Where each sample starts.
        temperature: float.
        path: str or None. A file the samples are appended to.
        seed: int.
    """

    def __init__(self, sample, every=500, length=200, prompt="\n", temperature=0.8, path=None, seed=0):
        super().__init__()
        self._sample = sample
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
        text = self._sample(self.model, self.prompt, self.length, self.temperature, self.seed + step)
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
    """Keeps `metrics.json` up to date after every epoch, in the one format of every run.

    It is also the run's clock: it records when training began, when the
    first compiled call ended and when each epoch ended (`clock_s`, seconds
    from `start`), and the time spent inside training batches (`train_s`),
    which the throughput is measured over. The history is read back from the
    run's CSV log, so a resumed run reports every epoch, including those before
    the interruption.

    Args:
        path: str or None. Where to write the JSON; None keeps it in memory.
        csv_path: str or None. The run's `keras.callbacks.CSVLogger` file;
            None records this session's epochs only.
        static: dict. Fixed facts (config, parameter count, sizes, ...).
        units: str. What a step counts (`chars`, `tokens`, `pairs`).
        units_per_step: int or None.
        monitor: str. The metric that picks the best epoch.
        start: float or None. `time.perf_counter()` at the start of the run.
    """

    def __init__(self, path, csv_path, static, units="examples", units_per_step=None, monitor="val_loss",
                 start=None):
        super().__init__()
        self.path, self.csv_path = path, csv_path
        self.static = static
        self.units, self.units_per_step = units, units_per_step
        self.monitor = monitor
        self.start = time.perf_counter() if start is None else start
        self.marks = {}
        self.extra = {}
        self.train_s = 0.0
        self._session_rows = []
        self._begun = None

    def mark(self, name):
        self.marks.setdefault(name, round(time.perf_counter() - self.start, 3))

    def on_train_begin(self, logs=None):
        self.mark("train_begin")
        self._begun = time.monotonic()
        self._batches = 0
        self._start_step = self._iterations()

    def _iterations(self):
        """Optimizer steps of the whole run; batches seen, for a family that fits without an optimizer."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return self.static.get("steps_before_session", 0) + getattr(self, "_batches", 0)
        return int(keras.ops.convert_to_numpy(optimizer.iterations))

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        self.train_s += time.monotonic() - self._batch_start
        self._batches += 1
        self.mark("first_call_end")

    def on_epoch_end(self, epoch, logs=None):
        self.mark(f"epoch_{epoch + 1}_end")
        self._session_rows.append({"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}})
        self.write()

    def on_train_end(self, logs=None):
        self.mark("fit_end")
        self.write()

    def write(self):
        history = read_csv_history(self.csv_path) if self.csv_path else list(self._session_rows)
        elapsed = time.monotonic() - self._begun if self._begun is not None else 0.0
        steps = self._iterations()
        session_steps = steps - getattr(self, "_start_step", 0)
        metrics = dict(self.static)
        metrics.update(
            {
                "steps": steps,
                "epochs_completed": len(history),
                "wall_s_this_session": round(elapsed, 2),
                "train_s": round(self.train_s, 2),
                f"trained_{self.units}": session_steps * self.units_per_step if self.units_per_step else None,
                f"train_{self.units}_per_s": (
                    round(session_steps * self.units_per_step / self.train_s, 1)
                    if self.units_per_step and self.train_s
                    else None
                ),
                "clock_s": dict(self.marks),
                "history": history,
            }
        )
        if history:
            metrics["final"] = history[-1]
            rows = [row for row in history if row.get(self.monitor) is not None]
            if rows:
                best = min(rows, key=lambda row: row[self.monitor])
                metrics["best_epoch"] = best["epoch"]
                # The best epoch's monitored metric and its validation metrics: best_val_loss, best_val_bpc, ...
                for key, value in best.items():
                    if value is not None and (key == self.monitor or key.startswith("val_")):
                        metrics[f"best_{key}"] = value
        metrics.update(self.extra)
        if self.path:
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
                if value in ("", None, "NA"):
                    parsed[key] = None
                elif key == "epoch":
                    parsed[key] = int(float(value))
                else:
                    parsed[key] = float(value)
            rows.append(parsed)
    return rows


def any_not_finite(history):
    """Whether any epoch's loss in a `History.history` dict is NaN or infinite."""
    return any(not math.isfinite(value) for value in history.get("loss", [0.0]))
