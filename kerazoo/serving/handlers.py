"""The HTTP edge of `kerazoo serve`: refusals in TF Serving's shape (the router's own 404 and 405 and
unexpected errors included; OpenAI's shape on the OpenAI-compatible routes), the bounded read of a JSON
body, and the request log."""

import json
import logging
import time

import anyio
from starlette.responses import Response

from kerazoo.serving.errors import ServingError
from kerazoo.serving.errors import error_body
from kerazoo.serving.errors import http_error
from kerazoo.serving.errors import invalid
from kerazoo.serving.errors import safe_text

log = logging.getLogger("kerazoo.serving")

# The OpenAI-compatible routes (`kerazoo.serving.openai_api`): the router's refusals there use OpenAI's error shape.
COMPLETIONS_PATH = "/v1/completions"
CHAT_PATH = "/v1/chat/completions"


def error_response(error, shape="tf_serving"):
    """A refusal in TF Serving's shape (or `shape="openai"`), whatever text the client put in its message."""
    return Response(error_body(error, shape), status_code=error.status, media_type="application/json",
                    headers=error.headers)


async def http_exception(request, exc):
    """The router's and Starlette's own refusals (unknown path 404, wrong method 405, ...) in TF Serving's shape,
    or OpenAI's on its routes."""
    if exc.status_code == 404:
        message = f"Malformed request: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}; it takes {exc.headers['Allow']}."
    else:
        message = exc.detail
    error = http_error(exc.status_code, message)
    error.headers = exc.headers
    request.app.state.metrics.refused(exc.status_code)
    return error_response(error, "openai" if request.url.path in (COMPLETIONS_PATH, CHAT_PATH) else "tf_serving")


async def internal_error(request, exc):
    log.error("request %s %s failed", request.method, safe_text(request.url.path, 200), exc_info=exc)
    return error_response(ServingError(f"Internal error: {type(exc).__name__}", "INTERNAL"))


async def read_json(request, max_bytes, timeout):
    """The request body parsed as JSON, bounded in size (413) and in the time it takes to arrive (408)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > max_bytes):
        raise http_error(413, f"The request body must be at most {max_bytes} bytes. Received Content-Length: "
                              f"{length[:30]}.")
    chunks, size = [], 0
    try:
        with anyio.fail_after(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise http_error(413, f"The request body must be at most {max_bytes} bytes.")
                chunks.append(chunk)
    except TimeoutError:
        raise http_error(408, f"The request body did not arrive within {timeout:g} s.") from None
    try:
        return json.loads(b"".join(chunks))
    except RecursionError:
        raise invalid("The request body is nested too deeply to parse.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid(f"The request body is not valid JSON: {str(error)[:200]}") from None


class RequestLog:
    """ASGI middleware: one log line per request (client, method, path, status, milliseconds)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), {}

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client") or ("-", 0)
            log.info("%s %s %s %s %.1f ms", client[0], scope["method"], safe_text(scope["path"], 200),
                     status.get("code", "-"), 1000 * (time.perf_counter() - started))

