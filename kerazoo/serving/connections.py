"""The connection layer of `kerazoo serve`: uvicorn's settings, and its own refusals in TF Serving's shape.

uvicorn answers some requests before they reach the app: a request it cannot parse
(a garbled request line, a `Content-Length` that is not a number) gets 400, and a
request past `limit_concurrency` gets 503, both in plain text. `Protocol`, a subclass
of uvicorn's httptools protocol, writes them as TF Serving's `{"error": "..."}` instead,
through the same `error_body` as every other refusal. It overrides two hooks:
`send_400_response`, which uvicorn calls when the parser fails, and the
`limit_concurrency` check in `on_headers_complete`, made here instead of by uvicorn
(its `limit_concurrency` is set to None, and this class picks the app per request).

It also bounds the time a request's line and headers may take (`header_timeout`):
uvicorn times a connection only between a response and the next request's first
byte, so a client that connects and sends nothing, or trickles its headers, would
hold a connection for ever. A timer starts when the connection is made and when a
request's first byte arrives, and stops when its headers are complete. When it fires,
the client gets 408 and the connection is closed; if an earlier response on the
connection is still being written, the connection closes after it instead.

Each of these refusals (400, 408, 503) is counted in the app's metrics: the app's lifespan
puts a function `refused(status)` in the ASGI lifespan state under `REFUSED`, and uvicorn
hands that state to every connection (`app_state`). Served without that state, they are not
counted.

`Protocol` also tells the app when a client leaves, from the connection itself rather than by a
task per request that waits on `receive`: `on_message_begin` puts a future in each request's
scope, under `scope["extensions"][DISCONNECT]`, and `connection_lost` sets it when the
request's response is not complete (when uvicorn marks the request disconnected).
`kerazoo.serving.deadlines` stops the request's work then. Served by another ASGI server, a
request has no such future, and its work stops at its deadline only.

These hooks are uvicorn internals, checked against uvicorn 0.30 to 0.55 (setup.cfg
pins the range; tests/serving/test_hostile.py fails if they move).
"""

import http
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kerazoo.serving.errors import ServingError
from kerazoo.serving.errors import error_body
from kerazoo.serving.errors import http_error
from kerazoo.utils.arguments import check_number

log = logging.getLogger("kerazoo.serving")

DEFAULT_HEADER_TIMEOUT = 10.0
# uvicorn's connection settings. An idle keep-alive connection is closed 5 s after its last answer; past
# 1,000 open connections and running requests together the server answers 503, so a flood of connections
# cannot use up the process's file descriptors; the listen backlog is bounded too.
CONNECTION_SETTINGS = {"timeout_keep_alive": 5, "limit_concurrency": 1000, "backlog": 2048}

MALFORMED = "Invalid HTTP request: its request line, a header or its body's framing does not parse."
OVERLOADED = "The server has {limit} connections and requests open, its limit; try again later."
SLOW_HEADERS = "The request line and headers did not arrive within {seconds:g} s (--header-timeout)."
REFUSED = "kerazoo.serving.refused"  # the lifespan state key of the function that counts a refusal made here
DISCONNECT = "kerazoo.disconnect"  # the scope extension: a future set when the request's client leaves


def raw_response(error, default_headers=()):
    """A complete HTTP/1.1 response for `error` that closes the connection, as bytes: TF Serving's JSON body."""
    body = error_body(error)
    head = [f"HTTP/1.1 {error.status} {http.HTTPStatus(error.status).phrase}".encode("ascii")]
    head += [name + b": " + value for name, value in default_headers]
    head += [b"content-type: application/json", b"content-length: " + str(len(body)).encode("ascii"),
             b"connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def unavailable(limit):
    """The ASGI app that answers a request past `limit_concurrency`: 503 UNAVAILABLE, and the connection closes."""
    error = ServingError(OVERLOADED.format(limit=limit), "UNAVAILABLE")
    body = error_body(error)

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": error.status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode("ascii")), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    return app


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with TF Serving's refusals, a header timeout (`protocol_class` sets it), and
    each request's `DISCONNECT` future."""

    header_timeout = DEFAULT_HEADER_TIMEOUT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The concurrency check is made in `on_headers_complete` below, so uvicorn's own must never fire.
        self.concurrency_limit, self.limit_concurrency = self.limit_concurrency, None
        self.served_app = self.app
        self.refusing_app = unavailable(self.concurrency_limit)
        self.header_timer = None

    def connection_made(self, transport):
        super().connection_made(transport)
        self._start_header_timer()

    def connection_lost(self, exc):
        self._stop_header_timer()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:  # as uvicorn marks it disconnected
            left = cycle.scope.get("extensions", {}).get(DISCONNECT)
            if left is not None and not left.done():
                left.set_result(None)
        super().connection_lost(exc)

    def on_message_begin(self):
        super().on_message_begin()
        self.scope.setdefault("extensions", {})[DISCONNECT] = self.loop.create_future()
        if self.header_timer is None:  # a later request on a kept-alive connection: timed from its first byte
            self._start_header_timer()

    def on_headers_complete(self):
        self._stop_header_timer()
        limit = self.concurrency_limit
        over = limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit)
        if over:
            log.warning("refused a request: %d connections and %d requests open, the limit is %d",
                        len(self.connections), len(self.tasks), limit)
            self._count(503)
        self.app = self.refusing_app if over else self.served_app  # read by uvicorn's on_headers_complete
        super().on_headers_complete()

    def send_400_response(self, msg):  # uvicorn has logged `msg` ("Invalid HTTP request received.")
        self._refuse(http_error(400, MALFORMED))

    def _refuse(self, error):
        if not self.transport.is_closing():
            self.transport.write(raw_response(error, self.server_state.default_headers))
            self.transport.close()
            self._count(error.status)

    def _count(self, status):
        refused = self.app_state.get(REFUSED)
        if refused is not None:
            refused(status)

    def _start_header_timer(self):
        self.header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self):
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_too_slow(self):
        self.header_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # an earlier response is being written: close when it is done
            return
        self._refuse(http_error(408, SLOW_HEADERS.format(seconds=self.header_timeout)))


def protocol_class(header_timeout=DEFAULT_HEADER_TIMEOUT):
    """`Protocol` with its header timeout, in seconds (> 0)."""
    seconds = float(check_number("header_timeout", header_timeout, minimum=0, exclusive_minimum=True, finite=True))
    return type("Protocol", (Protocol,), {"header_timeout": seconds, "__module__": __name__})


def uvicorn_settings(header_timeout=DEFAULT_HEADER_TIMEOUT, **overrides):
    """The keyword arguments of `uvicorn.run` or `uvicorn.Config` that `kerazoo serve` uses: `Protocol` with its
    header timeout, no access log (`RequestLog` writes one), and `CONNECTION_SETTINGS` (`overrides` replace them)."""
    return {"http": protocol_class(header_timeout), "access_log": False, **CONNECTION_SETTINGS, **overrides}
