"""`kerazoo.serving.deadlines.run_bounded` on its own, and the disconnect future of `kerazoo.serving.connections`."""

import asyncio
import socket
import threading
import time

import pytest

from kerazoo.serving.deadlines import Cancel
from kerazoo.serving.deadlines import Deadline
from kerazoo.serving.deadlines import disconnect_of
from kerazoo.serving.deadlines import run_bounded
from kerazoo.serving.errors import ServingError
from tests.serving.server import free_port
from tests.serving.server import wait_until


def cancellations(task):
    return task.cancelling() if hasattr(task, "cancelling") else 0


def test_work_left_at_the_deadline_is_cancelled_and_the_task_goes_on_uncancelled():
    state = {}

    async def forever():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            state["work"] = "cancelled"
            raise

    async def main():
        with pytest.raises(ServingError) as raised:
            await run_bounded(forever(), Deadline(0.0))
        state["left"] = cancellations(asyncio.current_task())
        await asyncio.sleep(0)  # the task is not cancelled: it goes on awaiting
        return raised.value

    error = asyncio.run(main())
    assert (error.code, error.status, error.stopped) == ("DEADLINE_EXCEEDED", 504, False)
    assert state == {"work": "cancelled", "left": 0}


def test_a_disconnect_cancels_the_call_and_waits_for_its_end():
    # The work ends only once its Cancel is cancelled, as a TensorFlow call under `cancel.scope()` does.
    async def main():
        cancel, disconnect = Cancel(), asyncio.get_running_loop().create_future()

        async def work():
            while not cancel.cancelled:
                await asyncio.sleep(0.001)
            raise ServingError("stopped by the cancellation", "CANCELLED")

        asyncio.get_running_loop().call_soon(disconnect.set_result, None)
        with pytest.raises(ServingError) as raised:
            await run_bounded(work(), Deadline(3600.0), disconnect, cancel)
        return raised.value

    error = asyncio.run(main())
    assert (error.code, error.status, error.stopped) == ("CANCELLED", 499, True)


def test_a_client_gone_before_the_work_starts_cancels_it_at_once():
    async def main():
        cancel, disconnect = Cancel(), asyncio.get_running_loop().create_future()
        disconnect.set_result(None)
        seen = []

        async def work():
            seen.append(cancel.cancelled)
            return "done"

        with pytest.raises(ServingError) as raised:
            await run_bounded(work(), Deadline(3600.0), disconnect, cancel)
        return raised.value, seen

    error, seen = asyncio.run(main())
    assert error.code == "CANCELLED" and error.stopped is False and seen == [True]


def test_finished_work_is_answered_and_a_cancellation_from_outside_is_not_swallowed():
    async def main():
        assert await run_bounded(asyncio.sleep(0, "result"), Deadline(3600.0)) == "result"
        task = asyncio.ensure_future(run_bounded(asyncio.sleep(3600), Deadline(3600.0)))
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.wait({task})
        return task.cancelled()

    assert asyncio.run(main())


def test_the_connection_sets_the_future_when_its_client_leaves_mid_request_only():
    import uvicorn

    from kerazoo.serving.connections import uvicorn_settings

    seen = {}

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        left = disconnect_of(scope)
        seen[scope["path"]] = left
        if scope["path"] == "/wait":
            await left  # set when the client leaves
            seen["left"] = True
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                           **uvicorn_settings()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: server.started)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            s.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
            assert wait_until(lambda: "/wait" in seen)
            assert not seen["/wait"].done()
        assert wait_until(lambda: seen.get("left"))
        time.sleep(0.1)  # nothing sets the answered request's future, before or after its connection closed
        assert not seen["/fast"].done()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
