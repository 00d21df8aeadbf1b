"""Batching of concurrent predict calls: while a signature runs, the calls that arrive queue and then run as one.

TF Serving batches with a timeout (`--enable_batching`, `batch_timeout_micros`): a call may
wait for others to arrive. Here a call never waits for company. A call that finds its
signature idle runs at once, alone, so one client at a time sees no delay. The calls that
arrive while it runs queue, and when it ends they run as one call of all their rows, up to the
model's `max_batch`. Under load the batches grow by themselves, and each caller gets its own
rows back.

Only signatures whose answer for a row cannot depend on the other rows are batched: every
input and output has a batch dimension first, and an output's other unknown dimensions must
come from the inputs' shapes (a call's inputs are merged only with inputs of the same shape).
ELMo's `embed` of sentences, whose output is as long as the batch's longest sentence, is not;
`generate`, with its scalar settings, is not.

A call whose callers have all left is cancelled (a `kerazoo.serving.deadlines.Cancel`
around the model call): a call run alone, when its one caller leaves; a merged call,
when the last of its callers does. While one of them still waits, the call runs on. A caller
may pass a `stopped` function, called once its call has ended by that cancellation (after the
caller left: the server counts the request as stopped then); a caller whose rows were dropped
before they ran is not told, since no work of its was stopped.
"""

import asyncio
from typing import Any
from typing import Callable
from typing import NamedTuple

import anyio
import numpy as np

from kerazoo.serving.deadlines import Cancel
from kerazoo.serving.deadlines import ended_by_cancellation

DEFAULT_MAX_ROWS = 64


class Waiting(NamedTuple):
    """A call in the queue: its merge key (input names, dtypes, shapes past the batch), rows, arrays, the future its
    caller awaits, and the caller's `stopped` function or None."""

    key: tuple
    rows: int
    arrays: dict
    future: asyncio.Future
    stopped: Callable[[], Any]


def batchable(spec):
    """Whether a signature's rows are independent of each other, from its input and output shapes.

    Args:
        spec: {"inputs": {name: (dtype, shape)}, "outputs": {...}}, as `Servable.specs` holds them.
    """
    inputs, outputs = spec["inputs"].values(), spec["outputs"].values()
    if not inputs or not outputs:
        return False
    if any(not shape or shape[0] is not None for _, shape in list(inputs) + list(outputs)):
        return False
    inputs_vary = any(None in shape[1:] for _, shape in inputs)
    return inputs_vary or all(None not in shape[1:] for _, shape in outputs)


class Batcher:
    """Runs one signature's concurrent calls as merged calls.

    Args:
        call: function (arrays) -> outputs, NumPy dicts; it runs in a worker thread.
        max_rows: int. The most rows one merged call may hold (the model's `max_batch`).
        observe: function (rows, calls), called after each merged call, or None.
        max_cost: int or None. The most `cost` one merged call may hold (the model's `max_batch_tokens`), so
            merging never builds a call larger than one request may ask for.
        cost: function (arrays) -> int, what a call costs against `max_cost`.
    """

    def __init__(self, call, max_rows=None, observe=None, max_cost=None, cost=None):
        self._call = call
        self._max_rows = max_rows or DEFAULT_MAX_ROWS
        self._max_cost = max_cost
        self._cost = cost
        self._observe = observe
        self._queue = []  # [Waiting]
        # The task draining the queue, while there is one; held here because the event loop keeps only a weak
        # reference to a task, and whether a call runs is `_busy`, not this.
        self._task = None
        self._busy = False  # whether a call of this signature is running (alone or merged)

    async def __call__(self, arrays, stopped=None):
        """The outputs of `call(arrays)`, from a call alone or merged with others.

        Args:
            arrays: name -> NumPy array, every one with the same number of rows (or the signature refuses them).
            stopped: function () -> None, or None. Called if this caller leaves and the call its rows are in ends
                by the cancellation that followed.
        """
        sizes = {len(value) for value in arrays.values()}
        if len(sizes) != 1 or 0 in sizes:
            # Inputs of different batch sizes, or none: merged, their rows would pair with another call's
            # (and an empty call would be answered instead of refused). Alone, the signature judges them.
            cancel = Cancel()
            return await self._for_one_caller(asyncio.ensure_future(self._alone(arrays, 0, cancel)), cancel, stopped)
        rows = sizes.pop()
        if not self._busy:
            # The signature is idle: run at once, with no queue and no drain task in between. The signature
            # stays busy until the model call ends, even if the caller leaves first: the worker thread runs on until
            # the cancellation stops its graph, and the calls queued meanwhile must not run beside it.
            cancel = Cancel()
            call = asyncio.ensure_future(self._alone(arrays, rows, cancel))
            self._busy = True
            call.add_done_callback(self._release)
            return await self._for_one_caller(call, cancel, stopped)
        key = tuple((name, value.dtype.str, value.shape[1:]) for name, value in sorted(arrays.items()))
        future = asyncio.get_running_loop().create_future()
        self._queue.append(Waiting(key, rows, arrays, future, stopped))
        self._start_draining()
        return await future

    @staticmethod
    async def _for_one_caller(call, cancel, stopped):
        """Awaits `call`, a task that runs under `cancel` for one caller; if that caller leaves, cancels it."""
        def ended(done):
            # The error of a call whose caller has left is read by no one (reading it marks it retrieved).
            error = None if done.cancelled() else done.exception()
            if stopped is not None and cancel.cancelled and ended_by_cancellation(error):
                stopped()

        call.add_done_callback(ended)
        try:
            return await asyncio.shield(call)
        except asyncio.CancelledError:
            cancel.cancel()  # the model call stops at its next step
            raise

    def _release(self, call):
        self._busy = False
        self._start_draining()

    def _start_draining(self):
        if self._queue and not self._busy:
            self._task = asyncio.create_task(self._drain())
            self._busy = True

    async def _drain(self):
        try:
            while self._queue:
                group = self._take()
                try:
                    await self._run(group)
                except BaseException as error:  # noqa: BLE001 - no caller may wait forever
                    for item in group:
                        if not item.future.done():
                            item.future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
        finally:
            self._task, self._busy = None, False
            self._start_draining()

    def _take(self):
        """The oldest call and the queued calls of its shape after it, up to `max_rows` rows and `max_cost` in all."""
        key, total, spent = self._queue[0].key, 0, 0
        group, rest = [], []
        for item in self._queue:
            cost = self._cost(item.arrays) if self._cost and self._max_cost else 0
            if item.key == key and (not group or (total + item.rows <= self._max_rows
                                                  and (not self._max_cost or spent + cost <= self._max_cost))):
                group.append(item)
                total += item.rows
                spent += cost
            else:
                rest.append(item)
        self._queue = rest
        return group

    async def _alone(self, arrays, rows, cancel):
        outputs = await self._in_thread(arrays, cancel)
        if self._observe and rows:
            self._observe(rows, 1)
        return outputs

    async def _in_thread(self, arrays, cancel):
        """`call(arrays)` in a worker thread, under `cancel`."""
        def run():
            with cancel.scope():
                return self._call(arrays)

        return await anyio.to_thread.run_sync(run)

    async def _run(self, group):
        group = [item for item in group if not item.future.done()]  # a client that left needs no answer
        if len(group) > 1:
            merged = {name: np.concatenate([item.arrays[name] for item in group]) for name in group[0].arrays}
            total = sum(item.rows for item in group)
            cancel = cancel_when_left(group)
            try:
                outputs = await self._in_thread(merged, cancel)
            except Exception as error:  # noqa: BLE001 - one call's bad rows must not fail the others: each runs alone
                outputs = None
                tell_stopped(cancel, error, group)
                # Those who left are not run again (their leaving may be what stopped the call).
                group = [item for item in group if not item.future.done()]
                if not group:
                    return
            if outputs is not None and all(np.ndim(value) and len(value) == total for value in outputs.values()):
                start = 0
                for item in group:
                    if not item.future.done():
                        item.future.set_result({name: value[start:start + item.rows]
                                                for name, value in outputs.items()})
                    start += item.rows
                if self._observe:
                    self._observe(total, len(group))
                return

        async def answer(item):
            cancel = cancel_when_left([item])
            try:
                outputs = await self._alone(item.arrays, item.rows, cancel)
            except Exception as error:  # noqa: BLE001 - the caller's own error goes back to the caller
                tell_stopped(cancel, error, [item])
                if not item.future.done():
                    item.future.set_exception(error)
                return
            if not item.future.done():
                item.future.set_result(outputs)

        if len(group) == 1:
            return await answer(group[0])
        # Alone, but side by side, as they would have run without batching.
        await asyncio.gather(*(answer(item) for item in group))


def cancel_when_left(group):
    """A `Cancel` that is cancelled once the future of every `Waiting` in `group` is: when all the callers of a call
    have left."""
    cancel = Cancel()

    def left(_):
        if all(item.future.cancelled() for item in group):
            cancel.cancel()

    for item in group:
        item.future.add_done_callback(left)
    return cancel


def tell_stopped(cancel, error, group):
    """Calls the `stopped` function of each `Waiting` in `group` if their call, run under `cancel`, ended by it with
    `error` (then every one of them had left)."""
    if cancel.cancelled and ended_by_cancellation(error):
        for item in group:
            if item.stopped is not None:
                item.stopped()
