"""`kerazoo serve` under hostile clients: every refusal in TF Serving's JSON shape, metrics no request can grow,
bounded work (budgets, a deadline, cancellation when the client leaves) and malformed HTTP.

One server for the module (tiny models of every family). After every case an autouse fixture checks that the
server still answers a normal request exactly as it did after warm-up, that no call or stream is left running,
and that its RSS is within 2x its post-warm-up value. Loopback only; every wait is a bounded loop.
"""

import json
import os
import re
import socket
import time

import httpx
import pytest

from tests.serving.server import BODY_LIMIT
from tests.serving.server import BODY_TIMEOUT
from tests.serving.server import ServerThread
from tests.serving.server import export_tiny_models
from tests.serving.server import metric
from tests.serving.server import wait_until

GREEDY = {"signature_name": "generate", "inputs": {"prompt": ["ROMEO: "], "max_length": 20, "temperature": 0.0,
                                                   "top_k": 0, "top_p": 1.0, "seed": 1}}
ERROR_KEYS = {"error"}


def rss_bytes():
    with open(f"/proc/{os.getpid()}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("saved_models"))
    export_tiny_models(base)
    with ServerThread(base, body_timeout=BODY_TIMEOUT) as server, \
            httpx.Client(base_url=server.url, timeout=60) as client:
        expected = client.post("/v1/models/gpt:predict", json=GREEDY).json()
        # Warm-up: every path the cases take once, so tracing and first-call allocations are behind us.
        for _ in range(3):
            assert client.post("/v1/models/gpt:predict", json=GREEDY).json() == expected
            client.post("/v1/models/gpt:stream", json={"prompt": "O", "max_length": 20}).read()
            client.post("/v1/models/dates:predict", json={"inputs": {"encoder_token_ids": [[1] * 8],
                                                                     "decoder_token_ids": [[1] * 8]}})
            client.get("/v1/models/nope")
        yield server, client, expected, rss_bytes()


@pytest.fixture(autouse=True)
def still_serving(hostile):
    yield
    server, client, expected, warm_rss = hostile
    response = client.post("/v1/models/gpt:predict", json=GREEDY)
    assert response.status_code == 200 and response.json() == expected
    assert wait_until(lambda: metric(client, "kerazoo_serving_active_calls") == 0)
    assert wait_until(lambda: metric(client, "kerazoo_serving_active_streams") == 0)
    assert server.app.app.state.settings.request_timeout == 30.0
    assert rss_bytes() <= 2 * warm_rss, (rss_bytes(), warm_rss)


def raw(server, data, read=True, timeout=60):
    """Sends `data` as written on a fresh connection; returns every byte the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (socket.timeout, ConnectionResetError):
            pass
        return b"".join(chunks)


def request_bytes(method, path, body=b"", headers=()):
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body is not None and not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b"")


def parse_response(data):
    """(status, headers dict, body bytes) of the first HTTP response in `data`."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            size = int(size, 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    elif "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return status, headers, body


def assert_tf_serving_error(response, status, words=None):
    """A refusal in TF Serving's shape: JSON `{"error": str}`, printable, with `status`."""
    if isinstance(response, tuple):
        got, headers, body = response
    else:
        got, headers, body = response.status_code, response.headers, response.content
    assert got == status, body[:300]
    assert headers["content-type"].startswith("application/json"), body[:300]
    data = json.loads(body)
    assert set(data) == ERROR_KEYS and isinstance(data["error"], str)
    assert data["error"].isprintable(), data["error"]
    body.decode("utf-8")  # valid UTF-8 whatever the client sent
    if words:
        assert words in data["error"], data["error"]
    return data["error"]


# --- One error shape on every path ---


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", ["/v1/models/gpt:predict", "/v1/models/gpt"])
def test_other_methods_get_405_in_tf_servings_shape(hostile, method, path):
    server, client, _, _ = hostile
    response = client.request(method, path, content=b"{}")
    assert_tf_serving_error(response, 405, f"Method {method} is not allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_post_to_the_model_list_gets_405_json(hostile):
    _, client, _, _ = hostile
    assert_tf_serving_error(client.post("/v1/models", content=b"{}"), 405)


@pytest.mark.parametrize("path", ["/v1/model/gpt:predict", "/v1/foo", "/nothing/here", "/v1/models/gpt/extra/x",
                                  "/v1/models/gpt:PREDICT", "/v1/models/gp%0At:predict", "/v1/models/gpt%0A",
                                  "/v1/models/gpt%0D%0AX-Injected:%201", "/v1/models/%FF%FE:predict",
                                  "/v1/models/gpt%00:predict"])
def test_unknown_paths_get_json_refusals(hostile, path):
    server, _, _, _ = hostile
    status, headers, body = parse_response(raw(server, request_bytes("POST", path, b"{}")))
    assert "x-injected" not in headers
    assert status in (400, 404)
    assert_tf_serving_error((status, headers, body), status)


def test_a_model_name_of_ten_thousand_characters_gets_a_short_refusal(hostile):
    _, client, _, _ = hostile
    message = assert_tf_serving_error(client.post("/v1/models/" + "n" * 10_000 + ":predict", content=b"{}"), 400)
    assert len(message) < 1200


@pytest.mark.parametrize("version, status", [("²", 400), ("١", 400), ("9223372036854775808", 400),
                                             ("99999999999999999999999", 400), ("-1", 400), ("+1", 400),
                                             ("9223372036854775807", 404), ("0", 404)])
def test_versions_are_ascii_digits_within_int64(hostile, version, status):
    _, client, _, _ = hostile
    assert_tf_serving_error(client.get(f"/v1/models/gpt/versions/{version}"), status)
    assert_tf_serving_error(client.post(f"/v1/models/gpt/versions/{version}:predict", json=GREEDY), status)


@pytest.mark.parametrize("name", ["\ud800", "a\udfffb", "\x00\n\x1b[31m", "\u2028", "é" * 50])
def test_client_text_in_messages_is_escaped(hostile, name):
    _, client, _, _ = hostile
    body = json.dumps({"signature_name": name, "instances": [[1]]})  # ASCII JSON: "\ud800" travels as an escape
    message = assert_tf_serving_error(client.post("/v1/models/gpt:predict", content=body), 400, "not found")
    assert "\n" not in message and "\x1b" not in message


def test_invalid_utf8_and_control_bytes_in_the_body_are_refused(hostile):
    _, client, _, _ = hostile
    assert_tf_serving_error(client.post("/v1/models/gpt:predict", content=b'{"instances": ["\xff\xfe"]}'), 400)
    assert_tf_serving_error(client.post("/v1/models/gpt:predict", content=b"\x00" * 100), 400)
    assert_tf_serving_error(client.post("/v1/models/gpt:predict", content=b""), 400)
    assert_tf_serving_error(client.post("/v1/models/gpt:predict", content=b"[" * 100_000), 400)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/octet-stream", "image/png; charset=binary"])
def test_the_body_is_read_as_json_whatever_its_content_type_as_tf_serving_does(hostile, content_type):
    # TF Serving hands its REST handler only the method, the path and the body (its docs call it with
    # `curl -d`, which sends application/x-www-form-urlencoded), so no Content-Type is refused with 415.
    server, _, expected, _ = hostile
    headers = [f"Content-Type: {content_type}"] if content_type else []
    data = request_bytes("POST", "/v1/models/gpt:predict", json.dumps(GREEDY).encode(), headers)
    status, _, body = parse_response(raw(server, data))
    assert status == 200 and json.loads(body) == expected
    data = request_bytes("POST", "/v1/models/gpt:predict", b"instances=1&signature_name=generate", headers)
    assert_tf_serving_error(parse_response(raw(server, data)), 400, "not valid JSON")


def test_a_lone_surrogate_in_a_prompt_or_stream_is_answered_or_refused_in_json(hostile):
    _, client, _, _ = hostile
    body = json.dumps({**GREEDY, "inputs": {**GREEDY["inputs"], "prompt": ["O\ud800"]}})
    response = client.post("/v1/models/gpt:predict", content=body)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_tf_serving_error(response, 400)
    response = client.post("/v1/models/gpt:stream", content=json.dumps({"prompt": "\ud800", "max_length": 3}))
    assert response.status_code in (200, 400), response.text


def test_the_openai_shape_renders_the_same_error():
    from kerazoo.serving.errors import ServingError
    from kerazoo.serving.errors import error_body

    error = ServingError("bad \ud800\n", "INVALID_ARGUMENT", param="max_tokens")
    assert json.loads(error_body(error)) == {"error": "bad \\ud800\\x0a"}
    assert json.loads(error_body(error, "openai")) == {"error": {
        "message": "bad \\ud800\\x0a", "type": "invalid_request_error", "param": "max_tokens",
        "code": "invalid_argument"}}


# --- Metrics no request can grow ---


def test_a_thousand_made_up_names_leave_the_metrics_page_the_same_size(hostile):
    _, client, _, _ = hostile
    for path in ("/v1/models/made-up-0", "/v1/models/made-up-0:predict", "/v1/model/x", "/v1/models/gpt/x"):
        client.request("POST" if path.endswith("predict") else "GET", path, content=b"{}")
    before = client.get("/monitoring/prometheus/metrics").text
    for i in range(1000):
        path = f"/v1/models/made-up-{i}" + (":predict" if i % 2 else "")
        response = client.request("POST" if i % 2 else "GET", path, content=b'{"instances": [[1]]}')
        assert response.status_code == 404
    after = client.get("/monitoring/prometheus/metrics").text

    def series(text):
        return [line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")]

    assert series(after) == series(before)  # the same samples: only the counts changed
    assert len(after) - len(before) < 100  # their digits
    assert "made-up" not in after
    assert metric(client, "kerazoo_serving_requests_total", model="unknown", kind="predict", code="404") >= 500


def test_an_unknown_signature_counts_under_unknown(hostile):
    _, client, _, _ = hostile
    for i in range(20):
        client.post("/v1/models/gpt:predict", json={"signature_name": f"sig-{i}", "instances": [[1]]})
    text = client.get("/monitoring/prometheus/metrics").text
    assert "sig-" not in text
    assert metric(client, "kerazoo_serving_requests_total", model="gpt", signature="unknown", code="400") >= 20


# --- Bounded work: budgets, the deadline, a client that leaves ---


def test_a_batch_times_length_past_the_budget_is_refused_before_any_work(hostile):
    _, client, _, _ = hostile
    rows = [[1] * 1100] * 8  # within max_batch (64) and max_tokens (4,096) each, 17,600 ids in all
    response = client.post("/v1/models/dates:predict", json={"inputs": {"encoder_token_ids": rows,
                                                                         "decoder_token_ids": rows}})
    assert_tf_serving_error(response, 400, "`max_batch_tokens`")
    response = client.post("/v1/models/dates:predict", json={"inputs": {"encoder_token_ids": [[1] * 2000] * 2,
                                                                         "decoder_token_ids": [[1] * 2000] * 2}})
    assert response.status_code == 200  # 8,000 ids: within the budget


def test_generation_steps_past_the_budget_are_refused(hostile):
    _, client, _, _ = hostile
    body = {"signature_name": "generate", "inputs": {"prompt": ["O"] * 3, "max_length": 10_000, "temperature": 1.0,
                                                     "top_k": 0, "top_p": 1.0, "seed": 0}}
    response = client.post("/v1/models/lstm:predict", json=body)  # lstm: the default max_batch_steps
    assert_tf_serving_error(response, 400, "`max_batch_steps`")


def test_a_call_too_big_for_the_budgets_is_invalid_argument_not_resource_exhausted():
    # TF Serving answers RESOURCE_EXHAUSTED with 429 (retry later); a request too big for the model is refused
    # whatever the load, so it is INVALID_ARGUMENT, 400, in both error shapes.
    import types

    import numpy as np

    from kerazoo.serving.budgets import check_budget
    from kerazoo.serving.errors import ServingError
    from kerazoo.serving.errors import error_body

    servable = types.SimpleNamespace(info={"limits": {"max_batch_tokens": 10, "max_tokens": 100}})
    with pytest.raises(ServingError) as caught:
        check_budget(servable, "serving_default", {"ids": np.ones([3, 4], np.int32)})
    assert (caught.value.code, caught.value.status) == ("INVALID_ARGUMENT", 400)
    assert "Received 12 in 3 rows" in caught.value.message
    assert json.loads(error_body(caught.value, "openai"))["error"]["code"] == "invalid_argument"
    check_budget(servable, "serving_default", {"ids": np.ones([2, 5], np.int32)})  # 10 ids: within


def test_the_batcher_never_merges_past_the_budget():
    import asyncio

    import numpy as np

    from kerazoo.serving.batching import Batcher
    from kerazoo.serving.budgets import call_cost

    seen = []

    def call(arrays):
        seen.append(call_cost(arrays))
        time.sleep(0.01)
        return {"y": arrays["x"]}

    async def main():
        batcher = Batcher(call, max_rows=64, max_cost=100, cost=call_cost)
        await asyncio.gather(*(batcher({"x": np.ones([2, 20], np.int32)}) for _ in range(12)))

    asyncio.run(main())
    assert sum(seen) == 12 * 40 and max(seen) <= 100


def test_a_batched_call_whose_callers_have_all_left_is_cancelled():
    import asyncio
    import threading

    import numpy as np
    import tensorflow as tf

    from kerazoo.serving.batching import Batcher
    from kerazoo.serving.errors import tensorflow_error

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
    def count(x):
        # One loop step per unit of the largest value, a few microseconds each: 10**7 is a minute of CPU.
        n = tf.reduce_max(x)
        return x + tf.while_loop(lambda i: i < n, lambda i: i + 1, [tf.constant(0, tf.int64)])[0] - n

    lock, running, ended = threading.Lock(), [], []

    def call(arrays):
        with lock:
            running.append(len(arrays["x"]))
        try:
            return {"y": count(tf.constant(arrays["x"])).numpy()}
        except tf.errors.CancelledError as error:
            ended.append(("cancelled", len(arrays["x"])))
            raise tensorflow_error(error) from None  # as `Servable.call` does
        finally:
            with lock:
                running.remove(len(arrays["x"]))

    long, short = np.array([10**7]), np.array([3])

    async def until(predicate):
        for _ in range(2400):  # 60 s at most
            if predicate():
                return True
            await asyncio.sleep(0.025)
        return False

    batcher = Batcher(call, max_rows=64)
    told = []  # the callers whose `stopped` was called: their work was stopped after they left

    def caller(name):
        return asyncio.ensure_future(batcher({"x": long}, lambda: told.append(name)))

    async def main():
        # A call run alone (the signature was idle) stops when its one caller leaves.
        alone = caller("alone")
        assert await until(lambda: running == [1])
        # Two callers queue behind it: they will run as one merged call of two rows. A third leaves before its
        # rows run: none of its work is stopped, so it is not told.
        first, second, third = caller("first"), caller("second"), caller("third")
        await asyncio.sleep(0.05)
        third.cancel()
        alone.cancel()
        assert await until(lambda: running == [2])
        assert ended == [("cancelled", 1)] and told == ["alone"]
        first.cancel()  # one of its callers is still waiting: the merged call runs on
        await asyncio.sleep(0.2)
        assert running == [2] and not second.done()
        second.cancel()  # the last one left: the merged call stops, and the signature is free again
        assert await until(lambda: not running and not batcher._busy)
        assert ended == [("cancelled", 1), ("cancelled", 2)]
        assert await until(lambda: len(told) == 3)
        assert told == ["alone", "first", "second"]
        return await batcher({"x": short})

    assert asyncio.run(main())["y"].tolist() == [3]
    cpu = time.process_time()  # nothing runs on: over a second, a fraction of a core (CPU time, not wall time)
    time.sleep(1.0)
    assert time.process_time() - cpu < 0.5


def test_a_batched_predict_stopped_after_its_client_left_is_counted(tmp_path):
    # A batchable signature (rows in, rows out) whose call takes a minute of CPU for 10**7.
    import tensorflow as tf

    class Count(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, name="x")])
        def count(self, x):
            n = tf.reduce_max(x)
            return {"y": x + tf.while_loop(lambda i: i < n, lambda i: i + 1, [tf.constant(0, tf.int64)])[0] - n}

    module = Count()
    tf.saved_model.save(module, str(tmp_path / "count" / "1"), signatures={"serving_default": module.count})
    long = json.dumps({"instances": [10**7]}).encode()
    with ServerThread(str(tmp_path)) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.post("/v1/models/count:predict", json={"instances": [3, 1]}).json() == {"predictions": [3, 1]}
        batcher = server.app.app.state.manager.models["count"].serving.batchers["serving_default"]

        def stopped(reason):
            return metric(client, "kerazoo_serving_stopped_requests_total", reason=reason)

        # A client that leaves while its call runs.
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
            s.sendall(request_bytes("POST", "/v1/models/count:predict", long))
            assert wait_until(lambda: batcher._busy)
        assert wait_until(lambda: stopped("disconnect") == 1)
        assert wait_until(lambda: not batcher._busy)
        # A call past the deadline.
        server.app.app.state.settings.request_timeout = 0.5
        response = client.post("/v1/models/count:predict", content=long)
        assert_tf_serving_error(response, 504, "Deadline exceeded")
        assert wait_until(lambda: stopped("deadline") == 1)
        assert stopped("disconnect") == 1


def test_past_the_deadline_the_call_stops_and_the_client_gets_504(hostile):
    server, client, _, _ = hostile
    settings = server.app.app.state.settings
    body = {"signature_name": "generate", "inputs": {"prompt": ["O"], "max_length": 10_000, "temperature": 1.0,
                                                     "top_k": 0, "top_p": 1.0, "seed": 0}}
    stopped = metric(client, "kerazoo_serving_stopped_requests_total", reason="deadline")
    settings.request_timeout = 0.2
    try:
        response = client.post("/v1/models/gpt:predict", json=body)
    finally:
        settings.request_timeout = 30.0
    assert_tf_serving_error(response, 504, "Deadline exceeded")
    # The answer waits for the worker thread: nothing runs any more when it arrives.
    assert metric(client, "kerazoo_serving_active_calls") == 0
    assert metric(client, "kerazoo_serving_stopped_requests_total", reason="deadline") == stopped + 1


def test_a_stream_past_the_deadline_ends_with_an_error_event(hostile):
    server, client, _, _ = hostile
    settings = server.app.app.state.settings
    settings.request_timeout = 0.3
    try:
        with client.stream("POST", "/v1/models/gpt:stream", json={"prompt": "O", "max_length": 10_000}) as response:
            response.read()
    finally:
        settings.request_timeout = 30.0
    if response.status_code == 504:  # a loaded machine: the deadline passed during the prompt read, before any event
        assert_tf_serving_error(response, 504, "Deadline exceeded")
        return
    assert response.status_code == 200
    text = response.content.decode()
    last = json.loads(text.strip().split("\n\n")[-1].split("\n")[1][len("data: "):])
    assert last["code"] == "DEADLINE_EXCEEDED"
    assert text.count("event: token") < 10_000


def _running_generate(server):
    """A socket whose `generate` call (10,000 characters, seconds of work) is running on the server."""
    body = json.dumps({"signature_name": "generate", "inputs": {"prompt": ["O"], "max_length": 10_000,
                                                                "temperature": 1.0, "top_k": 0, "top_p": 1.0,
                                                                "seed": 0}}).encode()
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    s.sendall(request_bytes("POST", "/v1/models/gpt:predict", body))
    return s


def test_a_client_that_leaves_stops_its_predict_generation(hostile):
    server, client, expected, _ = hostile
    stopped = metric(client, "kerazoo_serving_stopped_requests_total", reason="disconnect")
    s = _running_generate(server)
    assert wait_until(lambda: metric(client, "kerazoo_serving_active_calls") == 1)
    s.close()
    assert wait_until(lambda: metric(client, "kerazoo_serving_stopped_requests_total", reason="disconnect")
                      == stopped + 1)
    assert metric(client, "kerazoo_serving_active_calls") == 0  # the signature is free again
    # And the CPU is idle: over one second this process (server and client) uses a fraction of a core, where
    # the generation it stopped used a whole one. CPU time, not wall time, so other work on the machine is no
    # matter.
    cpu = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - cpu < 0.5
    assert client.post("/v1/models/gpt:predict", json=GREEDY).json() == expected


def test_a_dropped_stream_stops(hostile):
    server, client, _, _ = hostile
    before = metric(client, "kerazoo_serving_stream_characters_total", model="gpt")
    body = json.dumps({"prompt": "O", "max_length": 10_000}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(request_bytes("POST", "/v1/models/gpt:stream", body))
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
    assert wait_until(lambda: metric(client, "kerazoo_serving_active_streams") == 0)
    made = metric(client, "kerazoo_serving_stream_characters_total", model="gpt") - before
    assert made < 10_000


def test_a_long_prompt_past_the_context_streams_what_generate_makes(hostile):
    _, client, _, _ = hostile
    prompt = "ROMEO: " * 14  # 98 characters, the tiny GPT's context is 16
    body = {"signature_name": "generate", "inputs": {"prompt": [prompt], "max_length": 12, "temperature": 0.0,
                                                     "top_k": 0, "top_p": 1.0, "seed": 3}}
    generated = client.post("/v1/models/gpt:predict", json=body).json()["outputs"][0]
    with client.stream("POST", "/v1/models/gpt:stream", json={"prompt": prompt, "max_length": 12,
                                                               "temperature": 0.0, "seed": 3}) as response:
        text = response.read().decode()
    tokens = [json.loads(block.split("\n")[1][6:])["text"] for block in text.strip().split("\n\n")
              if block.startswith("event: token")]
    assert prompt + "".join(tokens) == generated


# --- Malformed HTTP ---


def test_a_lying_content_length_times_out_with_408(hostile):
    server, _, _, _ = hostile
    data = request_bytes("POST", "/v1/models/gpt:predict", None, ["Content-Length: 1000"]) + b'{"instances":'
    started = time.monotonic()
    status, headers, body = parse_response(raw(server, data, timeout=60 + BODY_TIMEOUT))
    waited = time.monotonic() - started
    assert_tf_serving_error((status, headers, body), 408, f"did not arrive within {BODY_TIMEOUT:g} s")
    assert waited >= BODY_TIMEOUT * 0.9  # not refused before the body timeout


def test_a_body_shorter_than_its_content_length_claims_is_not_parsed_as_more(hostile):
    server, _, _, _ = hostile
    data = request_bytes("POST", "/v1/models/gpt:predict", None, ["Content-Length: 5"]) + b'{"instances": [[1]]}'
    status, _, _ = parse_response(raw(server, data))
    assert status == 400


@pytest.mark.parametrize("length, status", [("52428800", 413), ("abc", 400), ("-1", 400),
                                            ("99999999999999999999999", 400)])
def test_a_content_length_over_the_limit_or_not_a_number_is_refused(hostile, length, status):
    # 413 from the app; a length that does not parse is refused by the HTTP parser, in the same JSON shape.
    server, _, _, _ = hostile
    data = request_bytes("POST", "/v1/models/gpt:predict", None, [f"Content-Length: {length}"])
    assert_tf_serving_error(parse_response(raw(server, data)), status)


def test_a_50_mb_chunked_body_is_cut_off_at_the_limit(hostile):
    server, _, _, _ = hostile
    chunk = b"[1," * 20_000
    piece = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(request_bytes("POST", "/v1/models/gpt:predict", None, ["Transfer-Encoding: chunked"]))
        sent = 0
        try:
            while sent < 50 * 2**20:  # stops early once the server has answered and closed
                s.sendall(piece)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(30)
        try:
            answer = s.recv(65536)
        except ConnectionResetError:
            answer = b""
    if answer:  # 413; 408 where a loaded machine took longer than BODY_TIMEOUT (1 s) to pass the first MiB
        status, headers, body = parse_response(answer)
        assert status in (408, 413)
        assert_tf_serving_error((status, headers, body), status)
    assert sent < 50 * 2**20 or answer  # refused, never parsed


def test_a_50_mb_body_with_its_length_announced_is_refused_unread(hostile):
    server, client, _, _ = hostile
    response = client.post("/v1/models/gpt:predict", content=b" " * (50 * 2**20))
    assert_tf_serving_error(response, 413, f"at most {BODY_LIMIT} bytes")


def test_a_chunked_body_is_read(hostile):
    server, _, expected, _ = hostile
    body = json.dumps(GREEDY).encode()
    chunked = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    data = request_bytes("POST", "/v1/models/gpt:predict", None, ["Transfer-Encoding: chunked"]) + chunked
    status, _, answer = parse_response(raw(server, data))
    assert status == 200 and json.loads(answer) == expected


def test_slow_headers_and_idle_connections_do_not_block_others(hostile):
    server, client, expected, _ = hostile
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(50)]
    try:
        for s in idle[:25]:
            s.sendall(b"POST /v1/models/gpt:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")  # never finished
        assert client.post("/v1/models/gpt:predict", json=GREEDY).json() == expected
    finally:
        for s in idle:
            s.close()


def test_idle_keep_alive_connections_are_closed_and_connections_are_bounded(tmp_path):
    # `kerazoo serve`'s uvicorn settings (`CONNECTION_SETTINGS`), shortened: 1 s keep-alive, 4 connections.
    with ServerThread(str(tmp_path), timeout_keep_alive=1, limit_concurrency=4, header_timeout=600) as server:
        connections = server.server.server_state.connections
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
            s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # keep-alive: the client never closes
            data = b""
            while True:
                chunk = s.recv(65536)  # b"": the server closed it (a socket timeout, 60 s, fails the test)
                if not chunk:
                    break
                data += chunk
        status, _, body = parse_response(data)
        assert status == 200 and json.loads(body) == {"object": "list", "data": [], "models": []}
        assert wait_until(lambda: not connections)
        # Three connections held open, doing nothing: a fourth is answered 503 UNAVAILABLE and closed.
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=60) for _ in range(3)]
        try:
            assert wait_until(lambda: len(connections) == 3)
            answer = parse_response(raw(server, request_bytes("GET", "/v1/models", None)))
            assert answer[1]["connection"] == "close"
            assert_tf_serving_error(answer, 503, "4 connections and requests open")
        finally:
            for s in idle:
                s.close()
        assert wait_until(lambda: not connections)
        assert parse_response(raw(server, request_bytes("GET", "/v1/models", None)))[0] == 200
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert refusals(client, 503) == 1


def test_pipelined_requests_are_answered_in_order(hostile):
    server, _, expected, _ = hostile
    body = json.dumps(GREEDY).encode()
    one = b"POST /v1/models/gpt:predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    last = b"GET /v1/models/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data = raw(server, one + one + last)
    responses = data.split(b"HTTP/1.1 ")[1:]
    assert [int(r[:3]) for r in responses] == [200, 200, 404]
    assert json.loads(parse_response(b"HTTP/1.1 " + responses[0])[2]) == expected


@pytest.mark.parametrize("data", [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00",
                                  b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 200_000 + b"\r\n\r\n"],
                         ids=["garbage", "HTTP/9.9", "TLS hello", "200 KB header"])
def test_malformed_requests_are_refused_and_the_server_goes_on(hostile, data):
    server, client, _, _ = hostile
    refused = refusals(client, 400)
    answer = raw(server, data)
    if data.startswith(b"GET /v1/models HTTP/1.1"):  # a long header, which the HTTP parser accepts: answered
        assert json.loads(parse_response(answer)[2])["models"]
        assert refusals(client, 400) == refused
    else:  # refused by the HTTP parser, in TF Serving's shape, and the connection closed; counted in the metrics
        assert_tf_serving_error(parse_response(answer), 400, "Invalid HTTP request")
        assert refusals(client, 400) == refused + 1


def refusals(client, code):
    """The requests refused before they named a model (by the router or the HTTP layer) with status `code`."""
    return metric(client, "kerazoo_serving_requests_total", model="unknown", signature="", kind="unknown",
                  code=str(code))


def test_slow_headers_and_idle_connections_are_closed_with_408(tmp_path):
    # `--header-timeout`, shortened to 0.5 s: a connection that sends nothing, a request line cut short, and a
    # second request on a kept-alive connection that stops in its headers are each answered 408 and closed.
    with ServerThread(str(tmp_path), header_timeout=0.5) as server:
        connections = server.server.server_state.connections
        assert server.server.config.http_protocol_class.header_timeout == 0.5
        for data in (b"", b"POST /v1/models/gpt:pre", b"GET /v1/models HTTP/1.1\r\nHost: x\r\nContent-Le"):
            answer = raw(server, data)  # returns when the server closes (a 60 s socket timeout fails the test)
            assert_tf_serving_error(parse_response(answer), 408, "within 0.5 s (--header-timeout)")
        answer = raw(server, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/mod")
        first, second = answer.split(b"HTTP/1.1 ")[1:]
        assert json.loads(parse_response(b"HTTP/1.1 " + first)[2])["models"] == []
        assert_tf_serving_error(parse_response(b"HTTP/1.1 " + second), 408)
        assert wait_until(lambda: not connections)
        # The server goes on: a whole request is answered.
        status, _, body = parse_response(raw(server, request_bytes("GET", "/v1/models", None)))
        assert status == 200 and json.loads(body)["models"] == []
        # The four refusals are counted.
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert refusals(client, 408) == 4


def test_a_header_timeout_that_is_not_a_number_of_seconds_is_refused():
    from kerazoo.cli.parser import build_parser
    from kerazoo.serving.connections import uvicorn_settings

    for value in (0, -1.0, float("inf"), "10", True):
        with pytest.raises(ValueError, match=r"`header_timeout` must be .*> 0\. Received: header_timeout="):
            uvicorn_settings(header_timeout=value)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--header-timeout", "0"])
    assert build_parser().parse_args(["serve", "--header-timeout", "2.5"]).header_timeout == 2.5


def test_the_uvicorn_hooks_that_the_protocol_overrides_are_still_there():
    """`kerazoo.serving.connections.Protocol` overrides uvicorn internals: if a uvicorn release moves them, this
    fails (and setup.cfg's version range must not admit that release)."""
    import configparser
    import inspect

    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    options = configparser.ConfigParser()
    options.read(os.path.join(os.path.dirname(__file__), "..", "..", "setup.cfg"))
    extras = options["options.extras_require"]
    lines = [line.strip() for extra in ("serve", "test") for line in extras[extra].splitlines()]
    pins = {re.fullmatch(r"uvicorn>=([\d.]+),<([\d.]+)", line) for line in lines if line.startswith("uvicorn")}
    pins = {pin.groups() if pin else None for pin in pins}
    assert len(pins) == 1 and None not in pins, pins  # one range, the same in both extras
    low, high = (tuple(int(part) for part in bound.split(".")) for bound in pins.pop())
    assert low <= tuple(int(part) for part in uvicorn.__version__.split(".")[:3]) < high, uvicorn.__version__
    source = inspect.getsource(HttpToolsProtocol)
    # The parser's failure goes through send_400_response; the concurrency check reads limit_concurrency and
    # picks self.app otherwise, in on_headers_complete, which on_message_begin precedes.
    assert "self.send_400_response(" in inspect.getsource(HttpToolsProtocol.data_received)
    check = inspect.getsource(HttpToolsProtocol.on_headers_complete)
    assert "self.limit_concurrency is not None" in check and "app = self.app" in check
    assert "self.limit_concurrency = config.limit_concurrency" in inspect.getsource(HttpToolsProtocol.__init__)
    for hook in ("connection_made", "connection_lost", "on_message_begin", "send_400_response"):
        assert f"def {hook}(" in source, hook
    assert "self.cycle.keep_alive" in source  # the header timer's close-after-this-response
    # The disconnect future: each request's scope is made in on_message_begin, and connection_lost marks the request
    # whose response is not complete as disconnected, as the protocol sets its future.
    assert "self.scope = {" in inspect.getsource(HttpToolsProtocol.on_message_begin)
    lost = inspect.getsource(HttpToolsProtocol.connection_lost)
    assert "not self.cycle.response_complete" in lost and "self.cycle.disconnected = True" in lost
