"""Keeps TensorFlow's native (C++) log lines off the terminal: `kerazoo --verbose` shows them."""

import os
import re
import sys
import threading


# TensorFlow and XLA write these from C++, past Python's logging: "I0000 00:00:1796203103.963087 7808 port.cc:153] ...".
_NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWEF]\d{4} \d+:\d+:\d+\.\d+\s+\d+ [\w.+-]+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .* rebuild TensorFlow)"
)


class NativeLogFilter:
    """Keeps TensorFlow's native log lines out of stderr while it is active; everything else passes.

    The lines come from C++ straight to file descriptor 2, so neither Python's
    logging nor `TF_CPP_MIN_LOG_LEVEL` (which TensorFlow 2.21's absl logging
    ignores before it starts) stops them. The filter puts a pipe in front of
    descriptor 2 and forwards every line that is not one of them.
    """

    def __enter__(self):
        sys.stderr.flush()
        self._saved = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        self._thread = threading.Thread(target=self._pump, args=(read,), daemon=True)
        self._thread.start()
        return self

    def _pump(self, read):
        with os.fdopen(read, "rb") as pipe:
            for line in pipe:
                if not _NATIVE_LOG_LINE.match(line):
                    os.write(self._saved, line)

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self._saved, 2)  # closes the pipe's last writer: the pump reads to the end and stops
        self._thread.join(timeout=5)
        os.close(self._saved)
