"""OpenAI-compatible routes on `kerazoo serve`, beside TF Serving's (docs/serving.md, "OpenAI-compatible API").

- `GET  /v1/models`: OpenAI's model list (`object`, `data`), with kerazoo's own listing under `models`.
- `POST /v1/completions`: text from a model that streams characters through its `step` signature (the GPT
  and the char RNNs), drawn by the same sampler as `:stream` and `generate`, so a seed gives their text.
- `POST /v1/chat/completions`: a reply from a model with a `chat` signature
  (`kerazoo.serving.openai_requests.chat_protocol`).

`stream: true` answers Server-Sent Events, one `data: {chunk}` each, and `data: [DONE]`. The
requests are checked by `kerazoo.serving.openai_requests`; refusals use the server's one
`ServingError`, rendered in OpenAI's error shape, and the bounds of the other routes (the body's size
and time, the deadline, the model's limits). A completion runs in a worker thread under the request's
deadline and is cancelled when its client leaves (`kerazoo.serving.deadlines`); a stream stops when its
next chunk cannot be sent. Usage is counted in the model's own tokens: characters for the char models.
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
from kerazoo.serving.openai_requests import CHAT_SIGNATURE
from kerazoo.serving.openai_requests import COMPLETION_FIELDS
from kerazoo.serving.openai_requests import StopScanner
from kerazoo.serving.openai_requests import chat_protocol
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
    """One choice of a completion: a `Stream`, its text cut at the first stop string."""

    def __init__(self, index, session, stops):
        self.index, self.session = index, session
        self.scanner = StopScanner(stops)
        self.text = ""
        self.finish = None  # "stop" (a stop string) or "length" (`max_tokens` made)

    @property
    def done(self):
        return self.finish is not None

    def advance(self):
        """Makes one token; returns the text now safe to show (at the end, what was held back too)."""
        shown = self.scanner.feed(self.session.advance())
        if self.scanner.stopped:
            self.finish = "stop"
        elif self.session.done:
            self.finish = "length"
            shown += self.scanner.rest()
        self.text += shown
        return shown


def run_choices(choices):
    """Every choice to its end, in one worker thread: a cancelled deadline or client fails its next step."""
    for choice in choices:
        while not choice.done:
            choice.advance()
    return choices


def chat_replies(servable, inputs, options):
    """`(reply, reply_tokens, context_tokens)` of each choice, one `chat` call each (choice i: seed + i)."""
    replies = []
    for i in range(options["n"]):
        values = {"turns": [options["turns"]], "roles": [options["roles"]], "max_length": options["max_tokens"],
                  "temperature": options["temperature"], "top_p": options["top_p"],
                  "seed": (options["seed"] + i) % SEEDS, "top_k": 0}
        outputs = servable.call(CHAT_SIGNATURE, {key: value for key, value in values.items() if key in inputs})
        reply = outputs["reply"][0]
        replies.append((reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply),
                        int(outputs["reply_tokens"][0]), int(outputs["context_tokens"][0])))
    return replies


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

    async def completions(request, servable, body, deadline, arrived):
        if not servable.can_stream:
            chat = " It is a chat model: use POST /v1/chat/completions." if CHAT_SIGNATURE in servable.signatures \
                else ""
            raise refuse(f"Model {servable.name} cannot complete text: /v1/completions runs a `step` signature with "
                         f"a character vocabulary (the GPT and char RNN SavedModels), and it has "
                         f"{sorted(servable.signatures)}.{chat}", "model")
        options = parse_completion(body, servable)
        prompts, n, stops = options["prompts"], options["n"], options["stop"]
        rows, longest = len(prompts) * n, max(len(prompt) for prompt in prompts)
        budget = limit_of(servable, "max_batch_steps")
        if rows > 1 and rows * (longest + options["max_tokens"]) > budget:
            raise ServingError(
                f"Several choices are bounded like one `generate` call of as many rows: at most {budget} decoding "
                f"steps, rows x (longest prompt + max_tokens) (the model's limit `max_batch_steps`). Received "
                f"{rows} x ({longest} + {options['max_tokens']}); ask for fewer choices or fewer `max_tokens`.",
                "INVALID_ARGUMENT", param="max_tokens")  # too big whatever the load, as budgets.check_budget

        def start():
            choices = []
            for p, prompt in enumerate(prompts):
                for i in range(n):
                    session = Stream(servable, prompt, options["max_tokens"], options["temperature"], 0,
                                     options["top_p"], (options["seed"] + i) % SEEDS)
                    session.start()
                    choices.append(Choice(p * n + i, session, stops))
            return choices

        choices = await bounded_call(request, deadline, start)
        name = servable.name
        if options["stream"]:
            async def pieces():
                for choice in choices:
                    while not choice.done:
                        if deadline.passed:
                            metrics.stopped.labels("deadline").inc()
                            raise deadline_exceeded(deadline.seconds)
                        # A client that leaves is noticed when its next chunk cannot be sent: the stream ends there.
                        shown = await anyio.to_thread.run_sync(choice.advance)
                        metrics.stream_characters.labels(name).inc()
                        if shown or choice.done:
                            yield choice.index, shown, choice.finish

            return event_stream(COMPLETION, name, pieces(), arrived)
        await bounded_call(request, deadline, run_choices, choices)
        prompt_tokens = sum(choice.session.prompt_length for choice in choices[::n])
        return _json(COMPLETION.body(name, [COMPLETION.choice(c.index, c.text, c.finish) for c in choices],
                                     prompt_tokens, sum(choice.session.generated for choice in choices)))

    async def chat_completions(request, servable, body, deadline, arrived):
        inputs = chat_protocol(servable)
        options = parse_chat(body, servable, inputs)
        replies = await bounded_call(request, deadline, chat_replies, servable, inputs, options)
        choices = []
        for index, (reply, made, _) in enumerate(replies):
            scanner = StopScanner(options["stop"])
            text = scanner.feed(reply)
            text += "" if scanner.stopped else scanner.rest()
            # Fewer tokens than `max_tokens`: the reply ended by itself, at the model's end-of-reply token.
            choices.append((index, text, "stop" if scanner.stopped or made < options["max_tokens"] else "length"))
        if options["stream"]:
            async def pieces():
                for choice in choices:
                    yield choice

            return event_stream(CHAT, servable.name, pieces(), arrived)
        return _json(CHAT.body(servable.name, [CHAT.choice(*choice) for choice in choices], replies[0][2],
                               sum(made for _, made, _ in replies)))

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

