"""OpenAI-compatible routes on `kerazoo serve`, beside TF Serving's (docs/serving.md, "OpenAI-compatible API").

- `GET  /v1/models`: OpenAI's model list (`object`, `data`), with kerazoo's own listing under `models`.
- `POST /v1/completions`: text from a model that streams characters through its `step` signature (the GPT
  and the char RNNs), drawn by the same sampler as `:stream` and `generate`, so a seed gives their text.
- `POST /v1/chat/completions`: a reply from a chat model, whole through its `chat` signature or, streamed,
  one piece per `chat_step` call (`kerazoo.serving.chats`).

Both routes make each choice from a source (a `Stream`, a `ChatReply` or a `ChatStream`) and cut,
stream and count its text the same way (`Choice`, `answer`). `stream: true` answers Server-Sent
Events, one `data: {chunk}` each, and `data: [DONE]`. The requests are checked by
`kerazoo.serving.openai_requests`; refusals use the server's one `ServingError`, rendered in
OpenAI's error shape, and the bounds of the other routes (the body's size and time, the deadline,
the model's limits). A reply that is not streamed runs in a worker thread under the request's
deadline and is cancelled when its client leaves (`kerazoo.serving.deadlines`); a stream checks the
deadline before each piece and stops when its next chunk cannot be sent. Usage is counted in the
model's own tokens: characters for the char models, what its signatures report for a chat model.
"""

import json
import logging
import time
import uuid

import anyio
from starlette.responses import Response
from starlette.responses import StreamingResponse
from starlette.routing import Route

from kerazoo.serving.budgets import limit_of
from kerazoo.serving.chats import CHAT_SIGNATURE
from kerazoo.serving.chats import ChatReply
from kerazoo.serving.chats import ChatStream
from kerazoo.serving.chats import check_chat_model
from kerazoo.serving.deadlines import Deadline
from kerazoo.serving.errors import ServingError
from kerazoo.serving.errors import deadline_exceeded
from kerazoo.serving.errors import error_body
from kerazoo.serving.handlers import CHAT_PATH
from kerazoo.serving.handlers import COMPLETIONS_PATH
from kerazoo.serving.handlers import error_response
from kerazoo.serving.handlers import read_json
from kerazoo.serving.metrics import UNKNOWN
from kerazoo.serving.openai_requests import CHAT_FIELDS
from kerazoo.serving.openai_requests import COMPLETION_FIELDS
from kerazoo.serving.openai_requests import StopScanner
from kerazoo.serving.openai_requests import check_body
from kerazoo.serving.openai_requests import parse_chat
from kerazoo.serving.openai_requests import parse_completion
from kerazoo.serving.openai_requests import refuse
from kerazoo.serving.streams import Stream

log = logging.getLogger("kerazoo.serving")

SEEDS = 2**31  # choice i of a prompt is drawn with (seed + i) % SEEDS


def _json(data, status=200):
    # ASCII JSON: a model folder's name may hold a lone surrogate (an undecodable byte), which UTF-8 cannot carry.
    return Response(json.dumps(data, ensure_ascii=True), status_code=status, media_type="application/json")


def _sse(data):
    return f"data: {json.dumps(data, ensure_ascii=True)}\n\n"


class Choice:
    """One choice: the text of its source (a `Stream`, `ChatReply` or `ChatStream`), cut at the first stop string."""

    def __init__(self, index, source, stops):
        self.index, self.source = index, source
        self.scanner = StopScanner(stops)
        self.text = ""
        self.made = 0  # characters the source made, a stop string's and what followed it included
        self.finish = None  # "stop" (a stop string, or the model's end token) or "length" (`max_tokens` made)

    @property
    def done(self):
        return self.finish is not None

    def advance(self):
        """Takes the source's next piece; returns the text now safe to show (at the end, what was held back too)."""
        piece = self.source.advance()
        self.made += len(piece)
        shown = self.scanner.feed(piece)
        if self.scanner.stopped:
            self.finish = "stop"
        elif self.source.done:
            self.finish = self.source.finish_reason
            shown += self.scanner.rest()
        self.text += shown
        return shown


def run_choices(choices):
    """Every choice to its end, in one worker thread: a cancelled deadline or client fails its next step."""
    for choice in choices:
        while not choice.done:
            choice.advance()
    return choices


class Shape:
    """How one route writes its answers: a whole response, or the choices of its stream's chunks."""

    def __init__(self, chat):
        self.chat = chat
        self.prefix, self.object, self.chunk_object = (
            ("chatcmpl", "chat.completion", "chat.completion.chunk") if chat
            else ("cmpl", "text_completion", "text_completion"))

    def head(self, name, chunk=False):
        return {"id": f"{self.prefix}-{uuid.uuid4().hex}", "object": self.chunk_object if chunk else self.object,
                "created": int(time.time()), "model": name}

    def choice(self, index, text, finish):
        written = {"message": {"role": "assistant", "content": text}} if self.chat else {"text": text}
        return {"index": index, **written, "logprobs": None, "finish_reason": finish}

    def deltas(self, index, text, finish, first):
        """The choices of the chunks for one piece of choice `index` (`first`: its first piece)."""
        if not self.chat:
            return [{"index": index, "text": text, "logprobs": None, "finish_reason": finish}]
        deltas = ([({"role": "assistant", "content": ""}, None)] if first else []) + (
            [({"content": text}, None)] if text else []) + ([({}, finish)] if finish else [])
        return [{"index": index, "delta": delta, "logprobs": None, "finish_reason": reason}
                for delta, reason in deltas]

    def body(self, name, choices, prompt_tokens, completion_tokens):
        return {**self.head(name), "choices": choices,
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens}}


COMPLETION, CHAT = Shape(chat=False), Shape(chat=True)


def openai_routes(manager, metrics, settings, bounded_call, max_body_bytes, body_timeout):
    """The routes, for `kerazoo.serving.app.create_app`.

    Args:
        manager: the `ModelManager`. metrics: the server's `Metrics`. settings: `app.state.settings`
            (`request_timeout`).
        bounded_call: `bounded_call(request, deadline, function, *args)`, the app's way to run a call in a
            worker thread under the deadline, cancelled when the client leaves, counted in the metrics.
        max_body_bytes, body_timeout: the bounds of a request body.
    """

    def labels(name, signature):
        """A served model's name and its signature, else `unknown`: no request adds a label value."""
        model = manager.models.get(name) if isinstance(name, str) else None
        served = model.serving if model is not None else None
        if served is None:
            return UNKNOWN, UNKNOWN
        return name, signature if signature in served.signatures else UNKNOWN

    def route(kind, signature, fields, answer):
        async def endpoint(request):
            arrived, deadline, name = time.perf_counter(), Deadline(settings.request_timeout), None
            try:
                body = await read_json(request, max_body_bytes, body_timeout)
                name = check_body(body, fields)
                try:
                    servable = manager.get(name)
                except ServingError as error:
                    error.param = "model"
                    raise
                response = await answer(request, servable, body, deadline, arrived)
            except ServingError as error:
                metrics.record(*labels(name, signature), kind, error.status)
                if error.code == "CANCELLED":
                    log.info("POST %s: %s", request.url.path, error.message)
                return error_response(error, "openai")
            except Exception as error:  # noqa: BLE001 - a bug answers 500 with its type, the server goes on
                log.exception("request POST %s failed", request.url.path)
                metrics.record(*labels(name, signature), kind, 500)
                return error_response(ServingError(f"Internal error: {type(error).__name__}", "INTERNAL"), "openai")
            metrics.record(*labels(name, signature), kind, response.status_code, time.perf_counter() - arrived)
            return response

        return endpoint

    def event_stream(shape, name, pieces, arrived):
        """`pieces` (an async iterator of (index, text, finish_reason)) as Server-Sent Events."""
        head = shape.head(name, chunk=True)

        async def events():
            metrics.active_streams.inc()
            first, opened = None, set()
            try:
                async for index, text, finish in pieces:
                    for choice in shape.deltas(index, text, finish, index not in opened):
                        yield _sse({**head, "choices": [choice]})
                    opened.add(index)
                    if first is None:
                        first = time.perf_counter() - arrived
                        metrics.first_chunk.labels(name).observe(first)
                yield "data: [DONE]\n\n"
            except ServingError as error:  # OpenAI's clients raise this `{"error": ...}` chunk as an APIError
                yield f"data: {error_body(error, 'openai').decode('ascii')}\n\n"
            finally:
                metrics.active_streams.dec()

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def answer(request, shape, servable, options, sources, deadline, arrived):
        """The choices of `sources()` (each choice's source; called in a worker thread), whole or streamed."""

        def start():
            choices = [Choice(index, source, options["stop"]) for index, source in enumerate(sources())]
            for choice in choices:
                choice.source.start()
            return choices

        def whole():
            return run_choices(start())

        name = servable.name
        if not options["stream"]:
            # One worker-thread call from the prompt's read to the last token, so that a client leaving at any
            # point cancels what is left of it.
            choices = await bounded_call(request, deadline, whole)
            # A prompt's tokens count once, whatever `n`: choices are ordered prompt by prompt.
            prompt_tokens = sum(choice.source.prompt_length for choice in choices[::options["n"]])
            return _json(shape.body(name, [shape.choice(c.index, c.text, c.finish) for c in choices], prompt_tokens,
                                    sum(choice.source.generated for choice in choices)))
        # A stream reads its prompt before its first byte, so that a refusal is still an HTTP status.
        choices = await bounded_call(request, deadline, start)

        async def pieces():
            for choice in choices:
                while not choice.done:
                    if deadline.passed:
                        metrics.stopped.labels("deadline").inc()
                        raise deadline_exceeded(deadline.seconds)
                    # A client that leaves is noticed when its next chunk cannot be sent: the stream ends there.
                    made = choice.made
                    shown = await anyio.to_thread.run_sync(choice.advance)
                    metrics.stream_characters.labels(name).inc(choice.made - made)
                    if shown or choice.done:
                        yield choice.index, shown, choice.finish

        return event_stream(shape, name, pieces(), arrived)

    async def completions(request, servable, body, deadline, arrived):
        if not servable.can_stream:
            chat = " It is a chat model: use POST /v1/chat/completions." if CHAT_SIGNATURE in servable.signatures \
                else ""
            raise refuse(f"Model {servable.name} cannot complete text: /v1/completions runs a `step` signature with "
                         f"a character vocabulary (the GPT and char RNN SavedModels), and it has "
                         f"{sorted(servable.signatures)}.{chat}", "model")
        options = parse_completion(body, servable)
        prompts, n = options["prompts"], options["n"]
        rows, longest = len(prompts) * n, max(len(prompt) for prompt in prompts)
        budget = limit_of(servable, "max_batch_steps")
        if rows > 1 and rows * (longest + options["max_tokens"]) > budget:
            raise ServingError(
                f"Several choices are bounded like one `generate` call of as many rows: at most {budget} decoding "
                f"steps, rows x (longest prompt + max_tokens) (the model's limit `max_batch_steps`). Received "
                f"{rows} x ({longest} + {options['max_tokens']}); ask for fewer choices or fewer `max_tokens`.",
                "INVALID_ARGUMENT", param="max_tokens")  # too big whatever the load, as budgets.check_budget

        def sources():
            return [Stream(servable, prompt, options["max_tokens"], options["temperature"], 0, options["top_p"],
                           (options["seed"] + i) % SEEDS) for prompt in prompts for i in range(n)]

        return await answer(request, COMPLETION, servable, options, sources, deadline, arrived)

    async def chat_completions(request, servable, body, deadline, arrived):
        stream = body.get("stream") is True
        check_chat_model(servable, stream)
        options = parse_chat(body, servable)
        # Whole replies from `chat`; a stream from `chat_step`, a piece per call. Choice i is drawn with seed + i.
        source = ChatStream if stream else ChatReply

        def sources():
            return [source(servable, options["turns"], options["max_tokens"], options["temperature"],
                           options["top_p"], (options["seed"] + i) % SEEDS) for i in range(options["n"])]

        return await answer(request, CHAT, servable, options, sources, deadline, arrived)

    async def list_models(request):
        served = [manager.models[name].serving for name in manager.names()]
        served = [servable for servable in served if servable is not None]
        return _json({"object": "list",
                      "data": [{"id": s.name, "object": "model", "created": s.created, "owned_by": "kerazoo"}
                               for s in served],
                      "models": [s.describe() for s in served]})

    return [
        Route("/v1/models", list_models),
        Route(COMPLETIONS_PATH, route("completions", "step", COMPLETION_FIELDS, completions), methods=["POST"]),
        Route(CHAT_PATH, route("chat_completions", CHAT_SIGNATURE, CHAT_FIELDS, chat_completions), methods=["POST"]),
    ]

