"""Deadlines and cancellation: a request's work stops when its deadline passes or its client leaves.

Every request gets a deadline, `request_timeout` seconds (`kerazoo serve --request-timeout`,
30 by default) after it arrived. A signature call runs in a worker thread under a
TensorFlow `CancellationManager`. When the deadline passes, or the client closes its
connection first, the manager is cancelled. The running graph stops at its next step,
a `tf.while_loop` included (a 10,000-character `generate` stops within milliseconds), and
the thread returns. Only then does the client get its answer: 504 `DEADLINE_EXCEEDED`, or
for a client that left, 499 `CANCELLED` (logged and counted, since no one reads it). So
when the answer is sent, the signature is free again.

TensorFlow reads the active cancellation manager from one module global,
`tensorflow.python.eager.cancellation.context()`, which is not safe for threads: two
threads that enter `CancellationManagerContext` at once would swap managers. `install`
makes that lookup per thread (a thread with no manager of ours sees TensorFlow's global,
as before). Without that private hook (another TensorFlow), calls are not cancellable:
the deadline still answers on time, and the call runs on to its end, which the per-call
budgets bound.

An OpenAI-compatible route can use the same pieces: `run_bounded` raises a `ServingError`
that `kerazoo.serving.errors.error_body` renders in either shape.
"""

import asyncio
import contextlib
import threading
import time

import anyio

from kerazoo.serving.errors import cancelled
from kerazoo.serving.errors import deadline_exceeded

_local = threading.local()
_install_lock = threading.Lock()
_installed = None  # None: not tried yet; True or False: whether calls can be cancelled


def install():
    """Makes TensorFlow's active cancellation manager a per-thread setting; returns whether calls can be cancelled."""
    global _installed
    with _install_lock:
        if _installed is None:
            try:
                from tensorflow.python.eager import cancellation
                from tensorflow.python.eager import context as eager_context
            except ImportError:
                _installed = False
                return False
            original = cancellation.context

            def context():
                manager = getattr(_local, "manager", None)
                return manager if manager is not None else original()

            cancellation.context = context
            # The call path looks it up as `cancellation.context()` in `tensorflow.python.eager.context`.
            _installed = getattr(eager_context, "cancellation", None) is cancellation
        return _installed


class Cancel:
    """One request's cancellation: `scope()` around its TensorFlow calls (in any thread), `cancel()` from anywhere."""

    def __init__(self):
        self.cancelled = False
        self._manager = None
        if install():
            from tensorflow.python.eager import cancellation

            self._manager = cancellation.CancellationManager()

    def cancel(self):
        self.cancelled = True
        if self._manager is not None:
            self._manager.start_cancel()

    @contextlib.contextmanager
    def scope(self):
        previous = getattr(_local, "manager", None)
        _local.manager = self._manager
        try:
            yield
        finally:
            _local.manager = previous


class Deadline:
    """When a request must be answered by: `seconds` after `start` (a `time.monotonic()` reading)."""

    def __init__(self, seconds, start=None):
        self.seconds = seconds
        self.at = (time.monotonic() if start is None else start) + seconds

    def remaining(self):
        return max(0.0, self.at - time.monotonic())

    @property
    def passed(self):
        return time.monotonic() >= self.at


async def wait_for_disconnect(receive):
    """Returns when the ASGI `receive` reports that the client closed the connection (call once the body is read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def run_bounded(work, deadline, receive=None, cancel=None):
    """Awaits `work` (an awaitable) until `deadline` or the client's disconnect, whichever comes first.

    Past the deadline, or when the client leaves, `cancel.cancel()` stops the TensorFlow call that
    `work` runs under `cancel.scope()`, and this waits for `work` to end before it raises
    `deadline_exceeded` (504) or `cancelled` (499), with `error.stopped` True when the call ended
    by that cancellation (False: it had finished anyway). `work` that cannot be cancelled (a merged
    batch call other requests share) is left to finish, and the error is raised at once.

    Args:
        work: an awaitable, e.g. `anyio.to_thread.run_sync(...)`.
        deadline: a `Deadline`.
        receive: the request's ASGI `receive`, to notice a disconnect; None not to watch.
        cancel: the `Cancel` that `work` runs under, or None.
    """
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(wait_for_disconnect(receive)) if receive is not None else None
    try:
        done, _ = await asyncio.wait({task} | ({watcher} if watcher else set()), timeout=deadline.remaining(),
                                     return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # the request itself was cancelled (shutdown): stop its work too
        if cancel is not None:
            cancel.cancel()
        task.cancel()
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
    if task in done:
        return task.result()
    error = cancelled() if watcher is not None and watcher in done else deadline_exceeded(deadline.seconds)
    error.stopped = False  # whether the work ended early, stopped by its cancellation (not run to its end)
    if cancel is not None:
        cancel.cancel()
        await asyncio.wait({task})  # the worker thread returns once the graph notices
        outcome = None if task.cancelled() else task.exception()  # retrieved: it is not the client's answer
        error.stopped = ended_by_cancellation(outcome)
    else:
        task.cancel()
    raise error


def ended_by_cancellation(error):
    """Whether `error`, what a call under a cancelled `Cancel` raised, says that the cancellation stopped it (and not
    that it failed, or had finished anyway): TensorFlow's CancelledError, converted to a `ServingError`."""
    return getattr(error, "code", None) == "CANCELLED"


async def in_thread(function, *args, deadline, receive=None):
    """`function(*args)` in a worker thread, cancellable, bounded by `deadline` and the client's disconnect."""
    cancel = Cancel()

    def run():
        with cancel.scope():
            return function(*args)

    return await run_bounded(anyio.to_thread.run_sync(run), deadline, receive, cancel)
