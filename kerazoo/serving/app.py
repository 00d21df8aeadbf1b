"""`kerazoo serve`: TF Serving's REST API for every SavedModel under a base path, on Starlette and uvicorn.

Endpoints (TF Serving's, to the field, see docs/serving.md):

- `GET  /v1/models/{name}[/versions/{v}]`: the status JSON (`model_version_status`).
- `GET  /v1/models/{name}[/versions/{v}]/metadata`: `model_spec` and the `signature_def` JSON.
- `POST /v1/models/{name}[/versions/{v}]:predict`: `signature_name`, `instances` or `inputs`;
  answers `predictions` or `outputs`.
- `GET  /monitoring/prometheus/metrics`: request counts and latencies per model and signature.

kerazoo's own additions:

- `POST /v1/models/{name}[/versions/{v}]:stream`: Server-Sent Events, one per generated
  character, through the model's `step` signature (`kerazoo.serving.streams`).
- `GET  /v1/models`: the models served, with their signatures (the playground reads it), in OpenAI's
  model list too.
- `GET  /`: the playground page, and `GET /static/{name}` its scripts (files shipped beside it).

OpenAI's API (`kerazoo.serving.openai_api`): `POST /v1/completions`, `POST /v1/chat/completions`.

Every refusal is `{"error": "..."}` with TF Serving's HTTP status for its
error code (`kerazoo.serving.errors`), on every path and method, the router's
own 404 and 405 included (`kerazoo.serving.handlers`). Request bodies are bounded in size (413 past
`max_body_bytes`) and in time (408 when the body takes longer than
`body_timeout` seconds to arrive). Each request has a deadline
(`request_timeout`, 504 past it) and its work stops when its client leaves
(`kerazoo.serving.deadlines`); the work a call may ask for is bounded by the
model's limits, batch x length budgets included (`kerazoo.serving.budgets`).
Metric labels name only the models and signatures served, so no request can
add a label value (`kerazoo.serving.metrics`). The HTTP layer's own refusals (a
request that does not parse, 400; past the connection limit, 503; headers slower
than `header_timeout`, 408) are in the same shape (`kerazoo.serving.connections`).
"""

import asyncio
import contextlib
import functools
import json
import logging
import re
import time
import types
from importlib import resources

import anyio
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.responses import StreamingResponse
from starlette.routing import Route

from kerazoo.serving.batching import Batcher
from kerazoo.serving.batching import batchable
from kerazoo.serving.budgets import budget_of
from kerazoo.serving.budgets import call_cost
from kerazoo.serving.budgets import check_budget
from kerazoo.serving.connections import DEFAULT_HEADER_TIMEOUT
from kerazoo.serving.connections import REFUSED
from kerazoo.serving.connections import uvicorn_settings
from kerazoo.serving.deadlines import Deadline
from kerazoo.serving.deadlines import disconnect_of
from kerazoo.serving.deadlines import in_thread
from kerazoo.serving.deadlines import run_bounded
from kerazoo.serving.errors import ServingError
from kerazoo.serving.errors import deadline_exceeded
from kerazoo.serving.errors import invalid
from kerazoo.serving.errors import not_found
from kerazoo.serving.errors import safe_text
from kerazoo.serving.handlers import RequestLog
from kerazoo.serving.handlers import error_response
from kerazoo.serving.handlers import http_exception
from kerazoo.serving.handlers import internal_error
from kerazoo.serving.handlers import read_json
from kerazoo.serving.metrics import UNKNOWN
from kerazoo.serving.metrics import Metrics
from kerazoo.serving.models import ModelManager
from kerazoo.serving.models import Servable
from kerazoo.serving.models import check_model_name
from kerazoo.serving.openai_api import openai_routes
from kerazoo.serving.streams import Stream
from kerazoo.serving.streams import parse_stream_request
from kerazoo.serving.tensors import encode_response
from kerazoo.serving.tensors import json_bytes
from kerazoo.serving.tensors import parse_request

log = logging.getLogger("kerazoo.serving")

DEFAULT_MAX_BODY_BYTES = 4 * 2**20
DEFAULT_BODY_TIMEOUT = 10.0
DEFAULT_POLL_SECONDS = 1.0
DEFAULT_REQUEST_TIMEOUT = 30.0

_PATH = re.compile(
    r"(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?(?:/labels/(?P<label>[^/:]+))?"
    r"(?P<tail>/metadata|:[A-Za-z_]+)?"
)


def load_warm(name, version, path):
    """Loads a version and, if it streams, runs one short stream, so no request pays for tracing."""
    servable = Servable(name, version, path)
    if servable.can_stream:
        stream = Stream(servable, servable.characters[0], max_length=2, temperature=1.0, top_k=0, top_p=1.0, seed=0)
        stream.start()
        while not stream.done:
            stream.advance()
    return servable


def match_name(rest):
    """The model name a `/v1/models/...` path names, or None."""
    match = _PATH.fullmatch(rest)
    return match.group("name") if match else None


def _event(kind, data):
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def create_app(base_dir="saved_models", poll_seconds=DEFAULT_POLL_SECONDS, max_body_bytes=DEFAULT_MAX_BODY_BYTES,
               body_timeout=DEFAULT_BODY_TIMEOUT, manager=None, batching=True,
               request_timeout=DEFAULT_REQUEST_TIMEOUT):
    """The ASGI app serving every model under `base_dir`.

    Args:
        base_dir: str. One folder per model, with integer version folders (`kerazoo export` writes them).
        poll_seconds: float. How often the base path is scanned for new versions.
        max_body_bytes: int. Larger request bodies are refused with 413.
        body_timeout: float. Seconds a request body may take to arrive; slower ones get 408.
        manager: a `ModelManager`, or None to make one for `base_dir`.
        batching: bool. Merge the predict calls that arrive while their signature runs into one call
            (`kerazoo.serving.batching`); False runs every call alone.
        request_timeout: float. Seconds from a request's arrival to its answer; past it the work stops and the
            client gets 504 DEADLINE_EXCEEDED. A stream must end within it too. `app.state.settings` holds it.
    """
    for key, value in (("poll_seconds", poll_seconds), ("body_timeout", body_timeout),
                       ("max_body_bytes", max_body_bytes), ("request_timeout", request_timeout)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"`{key}` must be a number > 0. Received: {key}={value!r}")
    manager = manager or ModelManager(base_dir, loader=load_warm)
    metrics = Metrics()

    def publish_versions():
        for name in manager.names():
            serving = manager.models[name].serving
            if serving is not None:
                metrics.model_version.labels(name).set(serving.version)

    async def poll():
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                await anyio.to_thread.run_sync(manager.scan)
                publish_versions()
            except Exception:  # noqa: BLE001 - the poller must outlive any one bad folder
                log.exception("scanning %s failed", manager.base_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await anyio.to_thread.run_sync(manager.scan)
        publish_versions()
        log.info("serving %s from %s", manager.names(), manager.base_dir)
        task = asyncio.create_task(poll())
        try:
            yield {REFUSED: metrics.refused}  # the HTTP layer's refusals are counted too
        finally:
            task.cancel()

    settings = types.SimpleNamespace(request_timeout=float(request_timeout))

    def batcher_for(servable, signature):
        if not batching or not batchable(servable.specs[signature]):
            return None
        if signature not in servable.batchers:
            def observe(rows, calls, name=servable.name):
                metrics.batch_rows.labels(name, signature).observe(rows)
                metrics.batched_requests.labels(name, signature).observe(calls)

            servable.batchers[signature] = Batcher(functools.partial(servable.call, signature), servable.max_batch,
                                                   observe, max_cost=budget_of(servable), cost=call_cost)
        return servable.batchers[signature]

    async def bounded_call(request, deadline, function, *args):
        """`function(*args)` in a worker thread, stopped at the deadline or when the client leaves."""
        metrics.active_calls.inc()
        try:
            return await in_thread(function, *args, deadline=deadline, disconnect=disconnect_of(request.scope))
        except ServingError as error:
            if getattr(error, "stopped", False):
                metrics.stop(error)
            raise
        finally:
            metrics.active_calls.dec()

    async def predict(request, servable, body, deadline):
        signature = body.get("signature_name", "serving_default") if isinstance(body, dict) else "serving_default"
        servable.signature(signature)
        arrays, row_format = parse_request(body, servable.specs[signature]["inputs"], servable.max_batch)
        check_budget(servable, signature, arrays)
        batcher = batcher_for(servable, signature)
        if batcher is None:
            outputs = await bounded_call(request, deadline, servable.call, signature, arrays)
        else:
            # Past the deadline, or when the client leaves, this request stops waiting: its rows are dropped if they
            # have not started, and the batcher cancels a call once all of its callers have left. It says so when
            # that call ends, after this request's answer (`left` holds it by then): the request is counted then.
            left = []
            try:
                outputs = await run_bounded(batcher(arrays, lambda: left and metrics.stop(left[0])), deadline,
                                            disconnect_of(request.scope))
            except ServingError as error:
                left.append(error)
                raise
        return signature, Response(json_bytes(encode_response(outputs, row_format)), media_type="application/json")

    async def stream(request, servable, body, arrived, deadline):
        if not servable.can_stream:
            raise invalid(f"Model {servable.name} cannot stream: streaming needs a `step` signature and a character "
                          f"vocabulary, and it has {sorted(servable.signatures)}.")
        options = parse_stream_request(body, servable)
        session = Stream(servable, **options)
        await bounded_call(request, deadline, session.start)
        name = servable.name

        async def events():
            metrics.active_streams.inc()
            first = None
            try:
                while not session.done:
                    if deadline.passed:
                        metrics.stopped.labels("deadline").inc()
                        raise deadline_exceeded(deadline.seconds)
                    # One character is a few milliseconds of work; a client that leaves is noticed when its next
                    # event cannot be sent, and the stream ends there.
                    text = await anyio.to_thread.run_sync(session.advance)
                    metrics.stream_characters.labels(name).inc()
                    if first is None:
                        first = time.perf_counter() - arrived
                        metrics.first_chunk.labels(name).observe(first)
                    yield _event("token", {"text": text})
                yield _event("done", {"characters": session.generated, "first_chunk_seconds": first,
                                      "model": name, "version": str(servable.version)})
            except ServingError as error:
                yield _event("error", {"error": safe_text(error.message), "code": error.code})
            finally:
                metrics.active_streams.dec()

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def models_endpoint(request):
        rest = request.path_params["rest"]
        arrived = time.perf_counter()
        deadline = Deadline(settings.request_timeout)
        signature, kind = "", UNKNOWN
        try:
            match = _PATH.fullmatch(rest)
            if match is not None and not request.scope["path"].endswith(rest):
                match = None  # the router's `$` let a trailing newline through: "/v1/models/gpt\n" is not gpt
            if match is None:
                if ".." in rest or "\\" in rest:
                    check_model_name(rest.split(":")[0])
                raise not_found(f"Malformed request: {request.method} /v1/models/{rest[:200]}")
            name, version, label, tail = match.group("name", "version", "label", "tail")
            check_model_name(name)
            if label is not None:
                raise invalid("Version labels are not used by kerazoo serve; ask for /versions/N or the newest.")
            if request.method == "GET":
                if tail is None:
                    kind = "status"
                    response = JSONResponse(manager.status(name, version))
                elif tail == "/metadata":
                    kind = "metadata"
                    servable = manager.get(name, version)
                    response = JSONResponse({
                        "model_spec": {"name": name, "signature_name": "", "version": str(servable.version)},
                        "metadata": {"signature_def": {"signature_def": servable.signature_def}},
                    })
                else:
                    raise not_found(f"Malformed request: GET /v1/models/{rest[:200]}")
            elif tail in (":predict", ":stream", ":classify", ":regress"):
                kind = tail[1:]
                servable = manager.get(name, version)
                if kind in ("classify", "regress"):
                    raise ServingError(
                        f"Model {name} has no {kind} signature (kerazoo exports predict signatures: "
                        f"{sorted(servable.signatures)}); call :predict instead.", "FAILED_PRECONDITION")
                body = await read_json(request, max_body_bytes, body_timeout)
                if kind == "predict":
                    asked = body.get("signature_name", "serving_default") if isinstance(body, dict) else None
                    signature = asked if isinstance(asked, str) and asked in servable.signatures else UNKNOWN
                    signature, response = await predict(request, servable, body, deadline)
                else:
                    signature = "step"
                    response = await stream(request, servable, body, arrived, deadline)
            else:
                raise not_found(f"Malformed request: {request.method} /v1/models/{rest[:200]}")
        except ServingError as error:
            metrics.record(label_for(match_name(rest)), signature, kind, error.status)
            if error.code == "CANCELLED":
                log.info("%s %s: %s", request.method, safe_text(rest, 200), error.message)
            return error_response(error)
        except Exception as error:  # noqa: BLE001 - a bug answers 500 with its type, the server goes on
            log.exception("request %s %s failed", request.method, safe_text(rest, 200))
            metrics.record(label_for(match_name(rest)), signature, kind, 500)
            return error_response(ServingError(f"Internal error: {type(error).__name__}", "INTERNAL"))
        metrics.record(label_for(match.group("name")), signature, kind, response.status_code,
                       time.perf_counter() - arrived)
        return response

    def label_for(name):
        """A model's metric label: its name if the server serves it, else `unknown`, so no request adds a label."""
        return name if name in manager.models else UNKNOWN

    async def metrics_endpoint(request):
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    static = resources.files("kerazoo.serving").joinpath("static")
    page = static.joinpath("index.html").read_text(encoding="utf-8")
    # Read once, like the page: a request names one of these files or gets the router's 404, never a path.
    scripts = {item.name: item.read_text(encoding="utf-8") for item in static.iterdir() if item.name.endswith(".js")}

    async def playground(request):
        return HTMLResponse(page)

    async def script(request):
        name = request.path_params["name"]
        if name not in scripts:
            raise HTTPException(404)
        return Response(scripts[name], media_type="text/javascript")

    app = Starlette(
        routes=[
            Route("/", playground),
            Route("/static/{name}", script),
            *openai_routes(manager, metrics, settings, bounded_call, max_body_bytes, body_timeout),
            Route("/v1/models/{rest:path}", models_endpoint, methods=["GET", "POST"]),
            Route("/monitoring/prometheus/metrics", metrics_endpoint),
        ],
        exception_handlers={HTTPException: http_exception, Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.manager, app.state.metrics, app.state.settings = manager, metrics, settings
    return RequestLog(app)


def serve(base_dir="saved_models", host="127.0.0.1", port=8501, poll_seconds=DEFAULT_POLL_SECONDS,
          max_body_bytes=DEFAULT_MAX_BODY_BYTES, body_timeout=DEFAULT_BODY_TIMEOUT, log_level="info", batching=True,
          request_timeout=DEFAULT_REQUEST_TIMEOUT, header_timeout=DEFAULT_HEADER_TIMEOUT):
    """Serves `base_dir` with uvicorn until interrupted; binds 127.0.0.1 unless `host` says otherwise.

    `header_timeout`: seconds a request's line and headers may take to arrive, from the connection's start or
    the request's first byte (`kerazoo.serving.connections`).
    """
    import os

    import uvicorn

    if not os.path.isdir(base_dir):
        raise FileNotFoundError(f"No model folder at {base_dir!r}. Export one with `kerazoo export RUN_DIR --name "
                                f"NAME` (it writes saved_models/NAME/1/).")
    logging.basicConfig(level=getattr(logging, log_level.upper()), format="%(asctime)s %(name)s %(message)s")
    app = create_app(base_dir, poll_seconds, max_body_bytes, body_timeout, batching=batching,
                     request_timeout=request_timeout)
    uvicorn.run(app, host=host, port=port, log_level=log_level, **uvicorn_settings(header_timeout))
