"""Errors as TF Serving reports them: a status code name, an HTTP status, and `{"error": message}`.

TF Serving answers every failed REST call with a JSON object whose only key is
`error`, and an HTTP status derived from the canonical error code. The same
mapping is kept here, so a client written for TF Serving sees the same
statuses.

One `ServingError` is rendered in either of two shapes by `error_body`: TF
Serving's `{"error": "..."}`, or OpenAI's `{"error": {"message", "type",
"param", "code"}}` for OpenAI-compatible routes. A request too big for a limit (a body
past `--max-body-bytes`, a call past a batch x length budget) is
`INVALID_ARGUMENT`, not `RESOURCE_EXHAUSTED`: TF Serving answers that 429,
"too many requests", which tells a client to retry, and a retry of the same
request never helps (TF Serving's own batcher refuses a call larger than its
batch limit with INVALID_ARGUMENT, and a full queue with UNAVAILABLE). Every message passes
through `safe_text` first, so text a client sent (a lone surrogate, a
control character, a megabyte of path) can never break the error path.
"""

import json
import re

# Canonical error code -> HTTP status, as TF Serving's REST handler maps them.
HTTP_STATUS = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
    "UNAUTHENTICATED": 401,
}


class ServingError(Exception):
    """A refused request: `code` is the canonical error code name, `status` the HTTP status."""

    def __init__(self, message, code="INVALID_ARGUMENT", status=None, param=None, headers=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status or HTTP_STATUS[code]
        self.param = param  # the request field at fault, for the OpenAI shape (None: the request as a whole)
        self.headers = headers  # extra response headers (405's `Allow`)


def invalid(message):
    return ServingError(message, "INVALID_ARGUMENT")


def not_found(message):
    return ServingError(message, "NOT_FOUND")


def tensorflow_error(error):
    """A `tf.errors.OpError` as a `ServingError` with the same code and a short message.

    An assertion in a signature ("`max_length` must be <= 10000") keeps its own
    words; the graph's node names and stack are left out.
    """
    from kerazoo.export.serving import assertion_text

    code = type(error).__name__.replace("Error", "")
    names = {
        "InvalidArgument": "INVALID_ARGUMENT", "NotFound": "NOT_FOUND", "ResourceExhausted": "RESOURCE_EXHAUSTED",
        "FailedPrecondition": "FAILED_PRECONDITION", "OutOfRange": "OUT_OF_RANGE", "Unimplemented": "UNIMPLEMENTED",
        "Cancelled": "CANCELLED", "DeadlineExceeded": "DEADLINE_EXCEEDED", "Internal": "INTERNAL",
        "Unavailable": "UNAVAILABLE", "Aborted": "ABORTED", "DataLoss": "DATA_LOSS",
    }
    return ServingError(assertion_text(error.message or str(error)), names.get(code, "UNKNOWN"))


def deadline_exceeded(seconds):
    return ServingError(f"Deadline exceeded: the request did not finish within {seconds:g} s (--request-timeout); "
                        f"its work was stopped.", "DEADLINE_EXCEEDED")


def cancelled():
    return ServingError("The client closed the connection; its work was stopped.", "CANCELLED")


MAX_MESSAGE_CHARACTERS = 1000
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def safe_text(text, limit=MAX_MESSAGE_CHARACTERS):
    """`text` as printable, encodable text: control characters and lone surrogates escaped, at most `limit` characters.

    A lone surrogate ("\\ud800", which JSON can carry but UTF-8 cannot) becomes the six
    characters `\\ud800`; a newline becomes `\\x0a`. Longer text is cut, with "..." at the end.
    """
    if not isinstance(text, str):
        text = str(text)
    if len(text) <= limit and text.isascii() and text.isprintable():
        return text  # the common case, checked in C: nothing to escape or cut (every escaped character fails it)
    if len(text) > limit:
        text = text[:limit] + "..."
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _UNSAFE.sub(lambda match: f"\\x{ord(match.group()):02x}" if ord(match.group()) < 256
                       else f"\\u{ord(match.group()):04x}", text)


# OpenAI's error `type` for an HTTP status (its API reference names these).
_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "not_found_error", 405: "invalid_request_error", 408: "timeout_error",
                 413: "invalid_request_error", 415: "invalid_request_error", 429: "rate_limit_error",
                 499: "cancelled_error", 504: "timeout_error"}


def error_body(error, shape="tf_serving"):
    """The JSON body of a refusal, as bytes: TF Serving's shape, or `shape="openai"` for OpenAI's error object."""
    message = safe_text(error.message)
    if shape == "tf_serving":
        body = {"error": message}
    elif shape == "openai":
        body = {"error": {"message": message,
                          "type": _OPENAI_TYPES.get(error.status, "server_error" if error.status >= 500
                                                    else "invalid_request_error"),
                          "param": None if error.param is None else safe_text(error.param),
                          "code": error.code.lower()}}
    else:
        raise ValueError(f"`shape` must be 'tf_serving' or 'openai'. Received: shape={shape!r}")
    return json.dumps(body, ensure_ascii=True).encode("ascii")


def http_error(status, message):
    """A `ServingError` for a refusal the router makes (404, 405) or the HTTP layer (400, 408, 413, 415), with that
    HTTP status and the error code nearest it."""
    codes = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 405: "UNIMPLEMENTED", 408: "DEADLINE_EXCEEDED",
             413: "INVALID_ARGUMENT", 415: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 504: "DEADLINE_EXCEEDED"}
    return ServingError(message, codes.get(status, "UNKNOWN" if status >= 500 else "INVALID_ARGUMENT"), status=status)
