"""Batching of concurrent predict calls: who is merged with whom, what each caller gets back, and on a real server."""

import asyncio
import json
import threading
import time

import numpy as np
import pytest

from kerazoo.serving.batching import Batcher
from kerazoo.serving.batching import batchable
from kerazoo.serving.errors import ServingError
from kerazoo.serving.errors import invalid


class GatedDouble:
    """A signature that doubles `x` row by row and records the rows of each call. Its first call waits until the test
    opens `gate`, so the calls a test makes meanwhile arrive while it runs, however slow the machine (no sleeps)."""

    def __init__(self, gated=True):
        self.calls, self.lock = [], threading.Lock()
        self.started, self.gate = threading.Event(), threading.Event()
        if not gated:
            self.gate.set()

    def __call__(self, arrays):
        with self.lock:
            first = not self.calls
            self.calls.append(len(arrays["x"]))
        if first:
            self.started.set()
            if not self.gate.wait(60):
                raise RuntimeError("the test never opened the gate")
        if np.any(arrays["x"] < 0):
            raise invalid("`x` must be >= 0")
        return {"y": arrays["x"] * 2, "n": np.full(len(arrays["x"]), len(arrays["x"]))}


async def first_call_running(call):
    """Returns once `call`'s first call is running in its worker thread."""
    while not call.started.is_set():
        await asyncio.sleep(0.001)


async def all_queued(tasks):
    """Lets each of `tasks` (just created) run to where it waits: behind the running call, in the batcher's queue."""
    for _ in range(3):
        await asyncio.sleep(0)
    assert not any(task.done() for task in tasks)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_lone_call_runs_at_once_and_alone():
    call = GatedDouble(gated=False)
    batcher = Batcher(call, max_rows=8)
    out = run(batcher({"x": np.array([[1.0], [2.0]])}))
    np.testing.assert_array_equal(out["y"], [[2.0], [4.0]])
    assert call.calls == [2]


def test_a_call_that_finds_its_signature_idle_runs_at_once_with_no_queue():
    batcher = None
    seen = []

    def call(arrays):
        seen.append((batcher._task, len(batcher._queue), batcher._busy))
        return {"y": arrays["x"]}

    batcher = Batcher(call, max_rows=8)
    run(batcher({"x": np.ones([3, 1])}))
    assert seen == [(None, 0, True)]  # no drain task, nothing queued, and the signature marked busy meanwhile
    assert not batcher._busy


def test_calls_that_arrive_while_one_runs_are_merged_and_each_gets_its_rows():
    call = GatedDouble()
    seen = []
    batcher = Batcher(call, max_rows=64, observe=lambda rows, calls: seen.append((rows, calls)))

    async def main():
        first = asyncio.create_task(batcher({"x": np.array([[0.0]])}))
        await first_call_running(call)
        rest = [asyncio.create_task(coroutine) for coroutine in [
            batcher({"x": np.array([[float(i)], [float(i) + 0.5]])}) for i in range(1, 6)]]
        await all_queued(rest)
        call.gate.set()
        return [await first] + list(await asyncio.gather(*rest))

    outs = run(main())
    assert call.calls == [1, 10]  # the first alone, then the five queued calls' ten rows in one call
    assert seen == [(1, 1), (10, 5)]
    for i, out in enumerate(outs[1:], start=1):
        np.testing.assert_array_equal(out["y"], [[2.0 * i], [2.0 * i + 1.0]])
        assert list(out["n"]) == [10, 10]


class Overlap(GatedDouble):
    """GatedDouble that also records the most calls that ever ran at the same time."""

    def __init__(self):
        super().__init__()
        self.running = self.most = 0

    def __call__(self, arrays):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return super().__call__(arrays)
        finally:
            with self.lock:
                self.running -= 1


def test_calls_queued_behind_a_failing_call_still_run_merged():
    call = Overlap()
    batcher = Batcher(call, max_rows=64)

    async def main():
        first = asyncio.create_task(batcher({"x": np.array([[-1.0]])}))  # refused by the signature
        await first_call_running(call)
        rest = [asyncio.create_task(batcher({"x": np.array([[float(i)]])})) for i in (1, 2)]
        await all_queued(rest)
        call.gate.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    outs = run(main())
    assert isinstance(outs[0], ServingError)
    np.testing.assert_array_equal(outs[1]["y"], [[2.0]])
    np.testing.assert_array_equal(outs[2]["y"], [[4.0]])
    assert call.calls == [1, 2] and call.most == 1


def test_a_cancelled_caller_keeps_its_signature_busy_until_its_call_ends():
    """The worker thread runs on after its caller is cancelled; the calls queued meanwhile wait for it."""
    call = Overlap()
    batcher = Batcher(call, max_rows=64)

    async def main():
        first = asyncio.create_task(batcher({"x": np.array([[0.0]])}))
        await first_call_running(call)
        rest = [asyncio.create_task(batcher({"x": np.array([[float(i)]])})) for i in (1, 2)]
        await all_queued(rest)
        first.cancel()
        await all_queued(rest)  # the caller has left, its call runs on: the queued calls still wait
        assert call.calls == [1]
        call.gate.set()
        outs = await asyncio.gather(*rest)
        return first.cancelled(), outs

    cancelled, outs = run(main())
    assert cancelled
    assert [list(out["y"][:, 0]) for out in outs] == [[2.0], [4.0]]
    assert call.calls == [1, 2] and call.most == 1


def test_a_merged_call_holds_at_most_max_rows_and_shapes_are_not_mixed():
    call = GatedDouble()
    batcher = Batcher(call, max_rows=4)

    async def main():
        first = asyncio.create_task(batcher({"x": np.zeros([1, 1])}))
        await first_call_running(call)
        rest = [asyncio.create_task(coroutine) for coroutine in [
            batcher({"x": np.ones([2, 1])}) for _ in range(3)] + [batcher({"x": np.ones([1, 3])})]]
        await all_queued(rest)
        call.gate.set()
        return [await first] + list(await asyncio.gather(*rest))

    outs = run(main())
    assert call.calls == [1, 4, 2, 1]  # 2 + 2 rows, then the third call's 2, then the other shape alone
    assert outs[-1]["y"].shape == (1, 3)


def test_one_bad_call_in_a_merged_batch_fails_alone():
    call = GatedDouble()
    batcher = Batcher(call, max_rows=64)

    async def main():
        first = asyncio.create_task(batcher({"x": np.zeros([1, 1])}))
        await first_call_running(call)
        rest = [asyncio.create_task(coroutine) for coroutine in [
            batcher({"x": np.array([[1.0]])}), batcher({"x": np.array([[-1.0]])}), batcher({"x": np.array([[3.0]])})]]
        await all_queued(rest)
        call.gate.set()
        return [await first] + list(await asyncio.gather(*rest, return_exceptions=True))

    outs = run(main())
    assert call.calls == [1, 3, 1, 1, 1]  # the merged call failed, so each ran alone
    np.testing.assert_array_equal(outs[1]["y"], [[2.0]])
    assert isinstance(outs[2], ServingError) and "`x` must be >= 0" in outs[2].message
    np.testing.assert_array_equal(outs[3]["y"], [[6.0]])


def test_calls_whose_inputs_differ_in_rows_or_are_empty_run_alone():
    """Merged, a call of 1 `a` row and 2 `b` rows would pair its rows with another call's; alone it is refused."""
    seen = []

    def call(arrays):
        seen.append({name: len(value) for name, value in arrays.items()})
        if len({len(value) for value in arrays.values()}) != 1 or not len(arrays["a"]):
            raise invalid("`a` and `b` must hold the same rows, at least one")
        return {"y": arrays["a"] + arrays["b"]}

    batcher = Batcher(call, max_rows=64)

    async def main():
        first = asyncio.create_task(batcher({"a": np.zeros([1, 1]), "b": np.zeros([1, 1])}))
        await asyncio.sleep(0)
        rest = [batcher({"a": np.ones([1, 1]), "b": np.ones([2, 1])}), batcher({"a": np.ones([2, 1]), "b": np.ones([1, 1])}),
                batcher({"a": np.ones([0, 1]), "b": np.ones([0, 1])})]
        return [await first] + list(await asyncio.gather(*rest, return_exceptions=True))

    outs = run(main())
    assert all(isinstance(out, ServingError) for out in outs[1:]), outs
    assert {"a": 1, "b": 2} in seen and {"a": 2, "b": 1} in seen and {"a": 0, "b": 0} in seen


def test_only_signatures_whose_rows_are_independent_are_batched():
    assert batchable({"inputs": {"token_ids": ("int32", [None, None])},
                      "outputs": {"logits": ("float32", [None, None, 65])}})
    assert batchable({"inputs": {"source": ("string", [None])}, "outputs": {"target": ("string", [None])}})
    assert batchable({"inputs": {"words": ("string", [None])}, "outputs": {"vectors": ("float32", [None, 100])}})
    # Scalar settings (generate), scalar inputs (most_similar), and an output as long as the batch's longest
    # sentence (ELMo's embed) are not.
    assert not batchable({"inputs": {"prompt": ("string", [None]), "seed": ("int32", [])},
                          "outputs": {"text": ("string", [None])}})
    assert not batchable({"inputs": {"word": ("string", []), "topn": ("int32", [])},
                          "outputs": {"words": ("string", [None])}})
    assert not batchable({"inputs": {"sentences": ("string", [None])},
                          "outputs": {"elmo": ("float32", [None, None, 8])}})


# --- On a real server ---


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import httpx

    from tests.serving.server import ServerThread
    from tests.serving.server import export_tiny_models

    base = str(tmp_path_factory.mktemp("saved_models"))
    models = export_tiny_models(base)
    with ServerThread(base) as server, httpx.Client(base_url=server.url, timeout=120) as client:
        yield server, client, models


def metric_sum(client, name, **labels):
    total = 0.0
    for line in client.get("/monitoring/prometheus/metrics").text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def concurrent(url, path, bodies):
    import httpx

    async def main():
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            return await asyncio.gather(*(client.post(path, content=json.dumps(b),
                                                      headers={"Content-Type": "application/json"}) for b in bodies))

    return asyncio.run(main())


def test_concurrent_predict_calls_get_the_answers_they_get_alone(served):
    server, client, _ = served
    rng = np.random.default_rng(0)
    bodies = [{"instances": rng.integers(1, 30, size=(1 + i % 3, 12)).tolist()} for i in range(48)]
    alone = [client.post("/v1/models/gpt:predict", json=body).json()["predictions"] for body in bodies]
    calls_before = metric_sum(client, "kerazoo_serving_batch_requests_count", model="gpt", signature="serving_default")
    requests_before = metric_sum(client, "kerazoo_serving_batch_requests_sum", model="gpt", signature="serving_default")
    answers = concurrent(server.url, "/v1/models/gpt:predict", bodies)
    assert [a.status_code for a in answers] == [200] * len(bodies)
    for answer, expected in zip(answers, alone):
        np.testing.assert_allclose(answer.json()["predictions"], expected, atol=1e-5)
    calls = metric_sum(client, "kerazoo_serving_batch_requests_count", model="gpt", signature="serving_default")
    requests = metric_sum(client, "kerazoo_serving_batch_requests_sum", model="gpt", signature="serving_default")
    assert requests - requests_before == len(bodies)
    assert calls - calls_before < len(bodies)  # some requests shared a call


def test_concurrent_translations_and_a_bad_request_among_them(served):
    server, client, _ = served
    sources = ["3 March 1998", "12/31/1999", "July 4, 1976", "1 January 2000"] * 6
    alone = [client.post("/v1/models/dates:predict", json={"signature_name": "translate", "instances": [s]})
             .json()["predictions"] for s in sources]
    bodies = [{"signature_name": "translate", "instances": [s]} for s in sources]
    answers = concurrent(server.url, "/v1/models/dates:predict", bodies)
    assert [a.json()["predictions"] for a in answers] == alone
    # A token id out of range in one request of a concurrent group is that request's error only.
    bodies = [{"instances": [[1, 2, 3]]}] * 8 + [{"instances": [[1, 2, 10**6]]}] + [{"instances": [[3, 2, 1]]}] * 8
    answers = concurrent(server.url, "/v1/models/gpt:predict", bodies)
    assert [a.status_code for a in answers] == [200] * 8 + [400] + [200] * 8
    assert "token_ids" in answers[8].json()["error"]


def test_responses_write_arrays_as_tf_serving_does():
    """float32 in its shortest form, the row format per row, strings as text or b64, NaN as null."""
    from kerazoo.serving.tensors import encode_response
    from kerazoo.serving.tensors import json_bytes

    logits = np.array([[0.1, -2.5e-8], [1.0, 3.0]], dtype=np.float32)
    assert json_bytes(encode_response({"logits": logits}, True)) == b'{"predictions":[[0.1,-2.5e-8],[1.0,3.0]]}'
    assert json.loads(json_bytes(encode_response({"logits": logits.T}, False))) == {"outputs": [[0.1, 1.0],
                                                                                                 [-2.5e-8, 3.0]]}
    out = json.loads(json_bytes(encode_response(
        {"text": np.array([b"ab", b"\xff"], dtype=object), "n": np.array([2, 1], np.int64),
         "score": np.array([0.25, 0.5], np.float32)}, True)))
    assert out == {"predictions": [{"text": "ab", "n": 2, "score": 0.25}, {"text": {"b64": "/w=="}, "n": 1,
                                                                            "score": 0.5}]}
    # TF Serving's tokens for what JSON cannot hold.
    assert json_bytes(encode_response({"logp": np.array([-np.inf, 0.5, np.nan], np.float32)}, False)) == (
        b'{"outputs":[-Infinity,0.5,NaN]}')
    assert json.loads(json_bytes(encode_response({"x": np.float32(2.5), "y": np.array(7, np.int32)}, False))) == {
        "outputs": {"x": 2.5, "y": 7}}
