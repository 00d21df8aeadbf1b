"""word2vec's progress line: corpus words trained, words per second and the time left, as gensim logs them.

Keras's own bar counts steps. A word2vec run is sized in corpus words (the
counting pass gives the total), so this bar counts words: each step trains
`words_per_step` of them (the words of a pass over the corpus, divided by the
steps of an epoch). Each epoch ends with one line holding its loss.
"""

import sys
import time

import keras


def _duration(seconds):
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _count(value):
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:.0f}"


class WordProgress(keras.callbacks.Callback):
    """Prints `epoch e/E  37%  1.50M/4.03M words  412,345 words/s  ETA 0:00:06  loss 2.7183`.

    Args:
        words_per_step: float. Corpus words one training step covers.
        steps_per_epoch: int.
        epochs: int. The run's last epoch (the bar's total is all epochs).
        initial_epoch: int. Where this session starts.
        stream: a file; stdout by default.
        every: float. Seconds between redraws; an epoch's end always draws its closing line.
    """

    def __init__(self, words_per_step, steps_per_epoch, epochs, initial_epoch=0, stream=None, every=0.5):
        super().__init__()
        self.words_per_step, self.steps_per_epoch = words_per_step, steps_per_epoch
        self.epochs, self.initial_epoch = epochs, initial_epoch
        self.stream = stream or sys.stdout
        self.every = every
        self.lines = []  # every epoch's closing line, for the tests and the run's log

    def on_train_begin(self, logs=None):
        self._start = time.monotonic()
        self._drawn = 0.0
        self._steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        # With steps_per_execution, Keras calls this once per execution with the last step's index.
        done = batch + 1
        self._steps += done - self._epoch_steps
        self._epoch_steps = done
        now = time.monotonic()
        if now - self._drawn >= self.every and done < self.steps_per_epoch:
            self._drawn = now
            self.stream.write("\r" + self.line(now, logs))
            self.stream.flush()

    def line(self, now, logs=None):
        total_steps = (self.epochs - self.initial_epoch) * self.steps_per_epoch
        elapsed = max(now - self._start, 1e-9)
        rate = self._steps * self.words_per_step / elapsed
        left = (total_steps - self._steps) * self.words_per_step / rate if rate else 0.0
        words = self._epoch_steps * self.words_per_step
        text = (
            f"epoch {self._epoch + 1}/{self.epochs}  {100 * self._epoch_steps / self.steps_per_epoch:3.0f}%  "
            f"{_count(words)}/{_count(self.steps_per_epoch * self.words_per_step)} words  "
            f"{rate:,.0f} words/s  ETA {_duration(left)}"
        )
        if logs and "loss" in logs:
            text += f"  loss {float(logs['loss']):.4f}"
        return text

    def on_epoch_end(self, epoch, logs=None):
        line = self.line(time.monotonic(), logs)
        self.lines.append(line)
        self.stream.write("\r" + line + "\n")
        self.stream.flush()
