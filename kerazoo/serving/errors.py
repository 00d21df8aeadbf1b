"""Errors as TF Serving reports them: a status code name, an HTTP status, and `{"error": message}`.

TF Serving answers every failed REST call with a JSON object whose only key is
`error`, and an HTTP status derived from the canonical error code. The same
mapping is kept here, so a client written for TF Serving sees the same
statuses.
"""

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

    def __init__(self, message, code="INVALID_ARGUMENT", status=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status or HTTP_STATUS[code]


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
