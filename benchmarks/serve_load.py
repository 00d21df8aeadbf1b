"""A bounded load test of `kerazoo serve` on localhost: asyncio clients that stop by themselves.

    nice -n 5 python benchmarks/serve_load.py [--base-dir DIR] [--clients 64] [--seconds 60]

Without `--base-dir` it exports two small char models (an LSTM and a GPT, random
weights: the load is the server's, not the text's) to a temporary folder. Then:

1. Starts `kerazoo serve` in a subprocess and waits until every model is loaded.
2. Concurrency 1: the same `generate` and `predict` calls in this process
   through `tf.saved_model.load` and over REST, one at a time and alternately,
   with two clients: the standard library's `http.client` on one kept-alive
   connection (the server's own cost, with as little client as Python has)
   and httpx (what a typical Python client adds). The overhead is the ratio
   of the medians. Predict runs on one row of each `--predict-lengths` ids,
   so that the fixed cost of a call shows against calls of several sizes;
   beside every predict call two floors are timed: a status GET to the
   server (no model), and a POST to a bare uvicorn app that answers a body
   the size of the 64-id predict response (no Starlette, no JSON, no model;
   the same body at every length).
3. Warm-up: 10 s of the mixed load, then the server's RSS.
4. `--clients` concurrent clients for `--seconds`, each looping over predict
   (`serving_default`), generate (`generate`) and stream (`:stream`, Server-Sent
   Events) requests; every status is counted, latencies per kind (for a stream,
   its whole length and its time to first chunk).
5. The server's RSS at the end, against the RSS after warm-up.
6. What batching gains: 64 single-row predict calls against one call of 64
   rows, in process; and on the server, predict-only rounds of `--clients`
   clients against this server and one started with `--no-batching` (after 4 s
   of warm-up load), alternately. `gain` divides the requests/s of each round
   counted to its last answer; `gain_in_window` counts only the answers within
   the round's seconds, so the tail of slow last requests does not dilute it.
   Two versions of the server are compared by `benchmarks/serve_ab.py`.

Prints a JSON report (and writes it to `--output`).
"""

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = "ROMEO:\n"
GENERATE = {"max_length": 64, "temperature": 0.8, "top_k": 0, "top_p": 1.0}
IDS = [[(7 * i) % 19 + 1 for i in range(64)]]  # one row of 64 token ids, for every predict call of the load


def ids_of_length(length):
    """One row of `length` token ids, the pattern of IDS."""
    return [[(7 * i) % 19 + 1 for i in range(length)]]


def export_models(base):
    sys.path.insert(0, ROOT)
    from kerazoo import build_gpt
    from kerazoo import build_lstm
    from kerazoo.data.vocabulary import CharVocabulary
    from kerazoo.export import export_saved_model
    from tests.backend_cases import TINY_TEXT

    vocabulary = CharVocabulary.from_text(TINY_TEXT)
    export_saved_model(build_lstm(vocabulary.size, units=128, num_layers=2), vocabulary, "lstm", base)
    export_saved_model(build_gpt(vocabulary.size, num_layers=2, num_heads=4, hidden_dim=64, max_sequence_length=128),
                       vocabulary, "gpt", base)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, q):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def summary(latencies):
    return {"count": len(latencies), "p50_ms": round(1000 * percentile(latencies, 50), 2) if latencies else None,
            "p99_ms": round(1000 * percentile(latencies, 99), 2) if latencies else None}


def in_process(base):
    """The same calls through tf.saved_model.load in this process, as functions of a seed."""
    import numpy as np
    import tensorflow as tf

    gpt = tf.saved_model.load(os.path.join(base, "gpt", "1")).signatures["generate"]
    lstm = tf.saved_model.load(os.path.join(base, "lstm", "1")).signatures["serving_default"]
    def generate(seed):
        gpt(prompt=tf.constant([PROMPT]), max_length=tf.constant(GENERATE["max_length"]),
            temperature=tf.constant(GENERATE["temperature"]), top_k=tf.constant(0), top_p=tf.constant(1.0),
            seed=tf.constant(seed))["text"].numpy()

    def predict(length):
        ids = np.asarray(ids_of_length(length), dtype="int32")
        return lambda _: lstm(token_ids=tf.constant(ids))["logits"].numpy()

    def batching():
        """64 single rows one by one against one call of 64 rows."""
        rows = np.random.default_rng(1).integers(1, 20, size=(64, 64)).astype("int32")
        lstm(token_ids=tf.constant(rows))
        started = time.perf_counter()
        for row in rows:
            lstm(token_ids=tf.constant(row[None]))["logits"].numpy()
        single = time.perf_counter() - started
        started = time.perf_counter()
        lstm(token_ids=tf.constant(rows))["logits"].numpy()
        batched = time.perf_counter() - started
        return {"64_single_row_calls_s": round(single, 4), "one_64_row_call_s": round(batched, 4),
                "gain": round(single / batched, 2)}

    return {"generate": generate, "predict": predict, "batching": batching}


def over_rest(post):
    """The same calls over REST, one at a time, as functions of a seed; `post(path, body)` is the client."""

    def generate(seed):
        post("/v1/models/gpt:predict", {"signature_name": "generate",
                                        "inputs": {"prompt": [PROMPT], **GENERATE, "seed": seed}})

    def predict(length):
        body = {"instances": ids_of_length(length)}
        return lambda _: post("/v1/models/lstm:predict", body)

    return {"generate": generate, "predict": predict}


def httpx_post(client):
    def post(path, body):
        client.post(path, json=body).raise_for_status()

    return post


def lean_request(url):
    """The standard library's HTTP client on one kept-alive connection: about the least a client can spend.

    Returns `request(method, path, body=None)`. A connection the server closed while it sat idle
    (uvicorn keeps one alive 5 s) is opened again once; the warm-up call before each timed series
    takes that cost.
    """
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)

    def request(method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        for attempt in (1, 2):
            try:
                connection.request(method, path, data, headers)
                response = connection.getresponse()
                response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                connection.close()
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")

    return request


def lean_post(url):
    request = lean_request(url)
    return lambda path, body: request("POST", path, body)


def concurrency_1(local, clients, repeats, lengths=(64,), floors=None):
    """Each call made in process and over REST with each client, alternately, `repeats` times.

    The calls: `generate`, and `serving_default` (predict) on one row of each of `lengths` ids.
    The overhead of a client is the ratio of its median to the in-process median, both from the
    same alternation, so that the machine's drift falls on every way alike. `floors`, name ->
    function, are requests that run no model, timed in every predict alternation: what any call
    pays before the model runs.
    """
    out = {}
    ways = {"in_process": local, **{name: over_rest(post) for name, post in clients.items()}}
    kinds = {"generate": {way: calls["generate"] for way, calls in ways.items()}}
    for length in lengths:
        kinds[f"predict_{length}"] = {way: calls["predict"](length) for way, calls in ways.items()}
        kinds[f"predict_{length}"].update(floors or {})
    for kind, calls in kinds.items():
        times = {way: [] for way in calls}
        for call in calls.values():
            call(0)  # warm
        for i in range(repeats):
            for way, call in calls.items():
                started = time.perf_counter()
                call(i)
                times[way].append(time.perf_counter() - started)
        direct_p50 = statistics.median(times["in_process"])
        out[kind] = {"in_process_p50_ms": round(1000 * direct_p50, 2)}
        for way in calls:
            if way in (floors or {}):
                out[kind][way] = {"p50_ms": round(1000 * statistics.median(times[way]), 3)}
            if way == "in_process" or way in (floors or {}):
                continue
            rest_p50 = statistics.median(times[way])
            out[kind][way] = {"rest_p50_ms": round(1000 * rest_p50, 3), "overhead": round(rest_p50 / direct_p50 - 1, 3),
                              "overhead_ms": round(1000 * (rest_p50 - direct_p50), 2)}
    return out


BARE_APP = """
import sys

import uvicorn

BODY = b"0" * int(sys.argv[2])


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def start_bare_server(body_bytes):
    """A bare ASGI app on uvicorn that reads a request and answers `body_bytes` bytes: the least a Python server
    on this machine spends on a request. Returns (process, url)."""
    import httpx

    def ready(url):
        httpx.post(url, content=b"{}", timeout=5)
        return True

    return start_process(lambda port: [sys.executable, "-c", BARE_APP, str(port), str(body_bytes)], ready,
                         "the bare uvicorn app", seconds=60, pause=0.2)


def start_process(command, ready, what, seconds, pause, env=None, cwd=None):
    """Starts `command(port)` on a free port (in folder `cwd`) and waits until `ready(url)` is true; returns
    (process, url).

    `ready` may raise `httpx.HTTPError` while the process is still starting.
    """
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(command(port), env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + seconds
    while True:
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            raise RuntimeError(f"{what} did not start")
        try:
            if ready(url):
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(pause)


async def one_request(client, kind, stats, ids):
    started = time.perf_counter()
    if kind == "predict":
        response = await client.post("/v1/models/lstm:predict", json={"instances": ids})
        status = response.status_code
    elif kind == "generate":
        response = await client.post("/v1/models/gpt:predict", json={
            "signature_name": "generate",
            "inputs": {"prompt": [PROMPT], **GENERATE, "seed": random.randrange(2**31 - 1)}})
        status = response.status_code
    else:
        first = None
        async with client.stream("POST", f"/v1/models/{random.choice(['gpt', 'lstm'])}:stream",
                                 json={"prompt": PROMPT, **GENERATE}) as response:
            status = response.status_code
            async for line in response.aiter_lines():
                if first is None and line.startswith("event: token"):
                    first = time.perf_counter() - started
                    stats["first_chunk"].append(first)  # kept even if the stream is cut at the deadline
    stats["latency"][kind].append(time.perf_counter() - started)
    stats["status"][str(status)] = stats["status"].get(str(status), 0) + 1


async def load(url, clients, seconds, kinds=("predict", "generate", "stream"), grace=30.0):
    import httpx

    # `in_window`: the requests answered before the deadline, a rate that the tail of the last requests does not
    # dilute (the tail's length varies with the machine's load more than the rate does).
    stats = {"latency": {kind: [] for kind in kinds}, "first_chunk": [], "status": {}, "errors": 0, "error_types": {},
             "in_window": 0, "seconds": seconds}
    ids = IDS
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        async def worker(index):
            turn = index
            while time.perf_counter() < deadline:
                try:
                    await one_request(client, kinds[turn % len(kinds)], stats, ids)
                    stats["in_window"] += time.perf_counter() <= deadline
                except httpx.HTTPError as error:
                    stats["errors"] += 1
                    stats["error_types"][type(error).__name__] = stats["error_types"].get(type(error).__name__, 0) + 1
                turn += 1

        started = time.perf_counter()
        # Bounded: no request starts after the deadline, and requests still running `grace` seconds
        # past it are cut (the client disconnects) and counted, not waited for.
        tasks = [asyncio.create_task(worker(i)) for i in range(clients)]
        _, pending = await asyncio.wait(tasks, timeout=seconds + grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - started
    stats["elapsed_s"] = elapsed
    stats["cut_at_deadline"] = len(pending)
    return stats


def rss(pid):
    import psutil

    return psutil.Process(pid).memory_info().rss


def start_server(base, env, *flags, cwd=None):
    """`kerazoo serve` in a subprocess; returns (process, url) once every model is loaded.

    `python -m` puts its working folder first on `sys.path`: to serve another checkout's code, run it in that
    checkout (`cwd`) as well as on `PYTHONPATH`.
    """
    import httpx

    return start_process(
        lambda port: [sys.executable, "-m", "kerazoo.cli", "serve", base, "--port", str(port), *flags],
        lambda url: len(httpx.get(url + "/v1/models", timeout=5).json()["models"]) == 2,
        "kerazoo serve", seconds=600, pause=0.5, env=env, cwd=cwd)


def load_report(stats):
    total = sum(len(v) for v in stats["latency"].values())
    return {
        "elapsed_s": round(stats["elapsed_s"], 1),
        "requests": total,
        "requests_per_s": round(total / stats["elapsed_s"], 1),
        "requests_per_s_in_window": round(stats["in_window"] / stats["seconds"], 1),
        "status": stats["status"],
        "5xx": sum(n for code, n in stats["status"].items() if code.startswith("5")),
        "client_errors": stats["errors"],
        "client_error_types": stats["error_types"],
        "cut_at_deadline": stats["cut_at_deadline"],
        "per_kind": {kind: {**summary(v), "per_s": round(len(v) / stats["elapsed_s"], 1)}
                     for kind, v in stats["latency"].items()},
        "stream_first_chunk": summary(stats["first_chunk"]),
    }


def write_report(report, output=None):
    """Prints the report as indented JSON, and writes the same text to `output` when one is given."""
    text = json.dumps(report, indent=2)
    print(text)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-dir", help="serve this folder (it must hold `lstm` and `gpt`); default: export them")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=100, help="calls of each kind for the concurrency-1 comparison")
    parser.add_argument("--predict-lengths", type=int, nargs="+", default=[64, 256, 1024],
                        help="ids in the one row of each concurrency-1 predict call")
    parser.add_argument("--batch-seconds", type=float, default=10.0,
                        help="length of each predict-only round, with and without batching (4 rounds)")
    parser.add_argument("--output")
    args = parser.parse_args()

    import httpx

    base = args.base_dir or tempfile.mkdtemp(prefix="serve-load-")
    if not args.base_dir:
        export_models(base)
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), "TF_CPP_MIN_LOG_LEVEL": "3"}
    report = {"clients": args.clients, "seconds": args.seconds, "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    server, url = start_server(base, env)
    unbatched = bare = None
    try:
        # 1. Concurrency 1: the same calls over REST and in process, alternately; beside each predict call,
        # a status GET to this server and a POST to a bare uvicorn app answering a body of the 64-id response's
        # size.
        local = in_process(base)
        response_bytes = len(httpx.post(url + "/v1/models/lstm:predict", json={"instances": IDS}).content)
        bare, bare_url = start_bare_server(response_bytes)
        bare_post = lean_post(bare_url)
        status = lean_request(url)
        floors = {"status_get": lambda _: status("GET", "/v1/models/lstm"),
                  "bare_uvicorn_post": lambda _: bare_post("/", {"instances": IDS})}
        with httpx.Client(base_url=url, timeout=120) as client:
            report["concurrency_1"] = concurrency_1(
                local, {"http_client": lean_post(url), "httpx": httpx_post(client)}, args.repeats,
                args.predict_lengths, floors)
        bare.terminate()
        report["batching_in_process"] = local["batching"]()
        print(json.dumps(report), flush=True)

        # 2. The mixed load, after a warm-up; the server's RSS after each.
        asyncio.run(load(url, args.clients, 10.0))
        report["rss_after_warmup_mb"] = round(rss(server.pid) / 2**20, 1)
        stats = asyncio.run(load(url, args.clients, args.seconds))
        report["rss_at_end_mb"] = round(rss(server.pid) / 2**20, 1)
        report["rss_ratio"] = round(report["rss_at_end_mb"] / report["rss_after_warmup_mb"], 3)
        report["load"] = load_report(stats)
        print(json.dumps(report), flush=True)

        # 3. What the server's batching gains: predict-only rounds against this server and one started with
        # --no-batching, alternately.
        unbatched, unbatched_url = start_server(base, env, "--no-batching")
        # Its first calls are slow while TensorFlow prepares the graph: not in its first round.
        asyncio.run(load(unbatched_url, args.clients, 4.0, kinds=("predict",)))
        rounds = []
        for way, target in (("batching", url), ("no_batching", unbatched_url)) * 2:
            stats = asyncio.run(load(target, args.clients, args.batch_seconds, kinds=("predict",)))
            rounds.append({"server": way, **load_report(stats)})
        rate, in_window = ({way: statistics.mean(r[key] for r in rounds if r["server"] == way)
                            for way in ("batching", "no_batching")}
                           for key in ("requests_per_s", "requests_per_s_in_window"))
        report["batching_on_the_server"] = {
            "rounds": [{k: r[k] for k in ("server", "requests_per_s", "requests_per_s_in_window", "5xx", "per_kind")}
                       for r in rounds],
            "requests_per_s": {way: round(v, 1) for way, v in rate.items()},
            "gain": round(rate["batching"] / rate["no_batching"], 2),
            "gain_in_window": round(in_window["batching"] / in_window["no_batching"], 2),
        }
    finally:
        for process in (server, unbatched, bare):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    write_report(report, args.output)


if __name__ == "__main__":
    main()
