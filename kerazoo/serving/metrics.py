"""`kerazoo serve`'s Prometheus metrics, in a registry of their own; labels name only served models."""

from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram

UNKNOWN = "unknown"  # the metric label of a model or signature the server does not serve


class Metrics:
    """The server's Prometheus metrics, in a registry of its own."""

    def __init__(self):
        self.registry = CollectorRegistry()
        labels = ["model", "signature", "kind"]
        self.requests = Counter("kerazoo_serving_requests", "Requests by model, signature, kind and HTTP status",
                                labels + ["code"], registry=self.registry)
        self.latency = Histogram("kerazoo_serving_request_latency_seconds", "Request latency (a stream: until its "
                                 "first character)", labels, registry=self.registry,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
        self.first_chunk = Histogram("kerazoo_serving_stream_first_chunk_seconds", "Time from a stream request to its "
                                     "first character", ["model"], registry=self.registry,
                                     buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.stream_characters = Counter("kerazoo_serving_stream_characters", "Characters streamed", ["model"],
                                         registry=self.registry)
        self.active_streams = Gauge("kerazoo_serving_active_streams", "Streams being generated now",
                                    registry=self.registry)
        self.batch_rows = Histogram("kerazoo_serving_batch_rows", "Rows per signature call that batched predict "
                                    "requests ran", ["model", "signature"], registry=self.registry,
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
        self.batched_requests = Histogram("kerazoo_serving_batch_requests", "Predict requests per signature call",
                                          ["model", "signature"], registry=self.registry,
                                          buckets=(1, 2, 4, 8, 16, 32, 64))
        self.model_version = Gauge("kerazoo_serving_model_version", "The version each model serves", ["model"],
                                   registry=self.registry)
        self.active_calls = Gauge("kerazoo_serving_active_calls", "Signature calls running now (predict and the "
                                  "prompt read of a stream)", registry=self.registry)
        self.stopped = Counter("kerazoo_serving_stopped_requests", "Requests whose work was stopped before its "
                               "end, by reason (deadline, disconnect)", ["reason"], registry=self.registry)

    def record(self, model, signature, kind, code, seconds=None):
        self.requests.labels(model, signature, kind, str(code)).inc()
        if seconds is not None:
            self.latency.labels(model, signature, kind).observe(seconds)

    def refused(self, code):
        """Counts a request refused before it named a model: by the router (404, 405) or by the HTTP layer (400
        that does not parse, 408 headers too slow, 503 past the connection limit), all under `unknown`."""
        self.record(UNKNOWN, "", UNKNOWN, code)

    def stop(self, error):
        """Counts a request whose work was stopped, under the reason `error` (its answer) gives: its deadline
        (DEADLINE_EXCEEDED) or its client leaving (CANCELLED)."""
        self.stopped.labels("deadline" if error.code == "DEADLINE_EXCEEDED" else "disconnect").inc()
