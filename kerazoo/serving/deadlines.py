"""Deadlines and cancellation: a request's work stops when its deadline passes or its client leaves.

Every request gets a deadline, `request_timeout` seconds (`kerazoo serve --request-timeout`,
30 by default) after it arrived. A signature call runs in a worker thread under a
TensorFlow `CancellationManager`. When the deadline passes, or the client closes its
connection first, the manager is cancelled. The running graph stops at its next step,
a `tf.while_loop` included (a 10,000-character `generate` stops within milliseconds), and
the thread returns. Only then does the client get its answer: 504 `DEADLINE_EXCEEDED`, or
for a client that left, 499 `CANCELLED` (logged and counted, since no one reads it). So
when the answer is sent, the signature is free again.

A client's leaving is noticed by the connection, not by the request: `kerazoo serve`'s uvicorn
protocol (`kerazoo.serving.connections`) sets a future in the request's scope when the
connection is lost, and `run_bounded` stops the work from its callback. So a request spends
no task of its own on watching: its deadline is one timer, its disconnect one callback.

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

from kerazoo.serving.connections import DISCONNECT
from kerazoo.serving.errors import cancelled
from kerazoo.serving.errors import deadline_exceeded

_local = threading.local()
_install_lock = threading.Lock()
_installed = None  # None: not tried yet; True or False: whether calls can be cancelled
_CancellationManager = None  # TensorFlow's class, once `install` has run


def install():
    """Makes TensorFlow's active cancellation manager a per-thread setting; returns whether calls can be cancelled."""
    global _installed, _CancellationManager
    if _installed is not None:
        return _installed
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
            _CancellationManager = cancellation.CancellationManager
            # The call path looks it up as `cancellation.context()` in `tensorflow.python.eager.context`.
            _installed = getattr(eager_context, "cancellation", None) is cancellation
        return _installed


class Cancel:
    """One request's cancellation: `scope()` around its TensorFlow calls (in any thread), `cancel()` from anywhere.

    Its `CancellationManager` is made when the call's scope is entered, in the worker thread, not by the event
    loop that serves every request. A `cancel()` that comes before it is seen there: the call starts cancelled.
    """

    def __init__(self):
        self.cancelled = False
        self._manager = None

    def cancel(self):
        self.cancelled = True
        manager = self._manager
        if manager is not None:
            manager.start_cancel()

    @contextlib.contextmanager
    def scope(self):
        if self._manager is None and install():
            self._manager = _CancellationManager()
            # `cancel()` sets `cancelled` before it reads `_manager`, and this reads `cancelled` after setting it:
            # whichever comes second starts the cancellation, so a cancel racing with this is never lost.
            if self.cancelled:
                self._manager.start_cancel()
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


def disconnect_of(scope):
    """The future that `kerazoo.serving.connections.Protocol` sets when the client of the request `scope` leaves, or
    None (served by another ASGI server: no disconnect is noticed)."""
    extensions = scope.get("extensions")
    return None if extensions is None else extensions.get(DISCONNECT)


async def run_bounded(work, deadline, disconnect=None, cancel=None):
    """Awaits `work` (an awaitable) until `deadline` or the client's disconnect, whichever comes first.

    Past the deadline, or when the client leaves, `cancel.cancel()` stops the TensorFlow call that
    `work` runs under `cancel.scope()`, and this waits for `work` to end before it raises
    `deadline_exceeded` (504) or `cancelled` (499), with `error.stopped` True when the call ended
    by that cancellation (False: it had finished anyway). `work` that cannot be cancelled (a merged
    batch call other requests share) is left to finish, and the error is raised at once.

    Nothing runs beside `work` while it runs: it is awaited in the calling task, the deadline is a
    timer of the event loop, and the disconnect a callback on the connection's future. Work that
    is left unfinished is left by cancelling the calling task's await, a cancellation this takes
    back (`Task.uncancel`), so the task goes on as if it had never been cancelled.

    Args:
        work: an awaitable, e.g. `anyio.to_thread.run_sync(...)`.
        deadline: a `Deadline`.
        disconnect: the request's `disconnect_of(scope)`, to notice that its client left; None not to watch.
        cancel: the `Cancel` that `work` runs under, or None.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    # Python 3.11+ counts a task's cancellations: one made by someone else as well (shutdown) must still end it.
    cancelling = task.cancelling() if hasattr(task, "cancelling") else 0
    why = []  # "deadline" or "disconnect", once either has come

    def stop(reason):
        if why:
            return
        why.append(reason)
        if cancel is not None:
            cancel.cancel()  # the call stops at its next step, and the await below returns
        else:
            task.cancel()  # work that cannot be stopped is not waited for

    def left(_):
        stop("disconnect")

    if disconnect is not None and disconnect.done():
        stop("disconnect")  # the client left before the work began: it starts cancelled
    timer = loop.call_later(deadline.remaining(), stop, "deadline")
    if disconnect is not None:
        disconnect.add_done_callback(left)
    outcome = None  # what the work raised once it was told to stop: whether that stopped it
    try:
        result = await work
    except asyncio.CancelledError:
        if not why or cancel is not None:  # the request itself was cancelled (shutdown): stop its work too
            if cancel is not None:
                cancel.cancel()
            raise
        if hasattr(task, "uncancel") and task.uncancel() > cancelling:  # take back the cancellation made here
            raise  # and one made by someone else at the same time
    except BaseException as error:
        if not why:
            raise
        outcome = error  # retrieved here: it is not the client's answer
    else:
        if not why:
            return result
    finally:
        timer.cancel()
        if disconnect is not None:
            disconnect.remove_done_callback(left)
    error = cancelled() if why[0] == "disconnect" else deadline_exceeded(deadline.seconds)
    # Whether the work ended early, stopped by its cancellation (not run to its end).
    error.stopped = cancel is not None and ended_by_cancellation(outcome)
    raise error


def ended_by_cancellation(error):
    """Whether `error`, what a call under a cancelled `Cancel` raised, says that the cancellation stopped it (and not
    that it failed, or had finished anyway): TensorFlow's CancelledError, converted to a `ServingError`."""
    return getattr(error, "code", None) == "CANCELLED"


async def in_thread(function, *args, deadline, disconnect=None):
    """`function(*args)` in a worker thread, cancellable, bounded by `deadline` and the client's disconnect."""
    cancel = Cancel()

    def run():
        with cancel.scope():
            return function(*args)

    return await run_bounded(anyio.to_thread.run_sync(run), deadline, disconnect, cancel)
