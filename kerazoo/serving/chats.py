"""Replies of a chat model's SavedModel, whole through its `chat` signature or piece by piece through `chat_step`.

A chat model answers one conversation per call (`kerazoo/models/chat/chat_export.py`
exports it; any SavedModel of the same shape is served alike, whatever wrote it):

| signature | inputs -> outputs |
| --- | --- |
| `chat` | `turns` string [None] (the conversation, oldest first), `max_length` int32 [], `temperature` float32 [] (0 = greedy), `top_k` int32 [] (0 = off), `top_p` float32 [] (1 = off), `seed` int32 [] -> `reply` string [], `prompt_tokens`, `completion_tokens` int32 [], `finish_reason` string [] (`stop`, `length`) |
| `chat_step` | the same inputs and `reply` string [] (the reply so far) -> `token` string [] (the next piece, "" at the end), `finish_reason` string [] ("" while the reply goes on), `prompt_tokens`, `completion_tokens` int32 [] |

`chat_step` keeps no state: each call sends the pieces so far back, and a reply
streamed this way, its pieces joined, is the reply `chat` gives for the same
arguments. Both sources below answer what `kerazoo.serving.streams.Stream`
answers (`start`, `advance`, `done`, `finish_reason`, `prompt_length`,
`generated`), so the OpenAI routes cut, stream and count every model's text the
same way (`kerazoo.serving.openai_api`).
"""

from kerazoo.serving.errors import ServingError

CHAT_SIGNATURE = "chat"
CHAT_STEP_SIGNATURE = "chat_step"
CHAT_INPUTS = {"turns": ("string", [None]), "max_length": ("int32", []), "temperature": ("float32", []),
               "top_k": ("int32", []), "top_p": ("float32", []), "seed": ("int32", [])}
CHAT_OUTPUTS = {"reply": "string", "prompt_tokens": "int32", "completion_tokens": "int32",
                "finish_reason": "string"}
STEP_INPUTS = {**CHAT_INPUTS, "reply": ("string", [])}
STEP_OUTPUTS = {"token": "string", "finish_reason": "string", "prompt_tokens": "int32", "completion_tokens": "int32"}


def _shape_of(specs):
    inputs = {name: (dtype, shape) for name, (dtype, shape) in specs["inputs"].items()}
    outputs = {name: dtype for name, (dtype, _) in specs["outputs"].items()}
    return inputs, outputs


def _written(inputs, outputs):
    return (", ".join(f"`{name}` {dtype} {shape}" for name, (dtype, shape) in inputs.items()) + " -> "
            + ", ".join(f"`{name}` {dtype}" for name, dtype in outputs.items()))


def check_chat_model(servable, stream=False):
    """Refuses (param `model`, or `stream`) a model without a `chat` signature of the shape above, or a stream from
    one without `chat_step`."""
    if CHAT_SIGNATURE not in servable.specs:
        other = " It completes text: use POST /v1/completions for it." if servable.can_stream else ""
        raise ServingError(f"Model {servable.name} is not a chat model: its SavedModel has no `chat` signature (it "
                           f"has {sorted(servable.signatures)}).{other}", param="model")
    wanted = [(CHAT_SIGNATURE, CHAT_INPUTS, CHAT_OUTPUTS)]
    if stream:
        if CHAT_STEP_SIGNATURE not in servable.specs:
            raise ServingError(f"Model {servable.name} cannot stream a reply: its SavedModel has no `chat_step` "
                               f"signature (it has {sorted(servable.signatures)}). Send `stream`: false.",
                               param="stream")
        wanted.append((CHAT_STEP_SIGNATURE, STEP_INPUTS, STEP_OUTPUTS))
    for signature, inputs, outputs in wanted:
        found_inputs, found_outputs = _shape_of(servable.specs[signature])
        if found_inputs != inputs or any(found_outputs.get(name) != dtype for name, dtype in outputs.items()):
            raise ServingError(
                f"Model {servable.name}'s `{signature}` signature ({_written(found_inputs, found_outputs)}) is not of "
                f"the shape /v1/chat/completions calls: {_written(inputs, outputs)} (docs/serving.md).",
                "FAILED_PRECONDITION", param="model")


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class _ChatCall:
    """What both sources share: the conversation and settings of one choice, and what its calls reported."""

    def __init__(self, servable, turns, max_length, temperature, top_p, seed):
        self.servable = servable
        self.arguments = {"turns": turns, "max_length": max_length, "temperature": temperature, "top_k": 0,
                          "top_p": top_p, "seed": seed}
        self.finish_reason = None  # "stop" (the model's end token) or "length" (`max_length` ids), once done
        self.prompt_length = 0  # the context ids the model read, as its signature counts them
        self.generated = 0  # the reply ids it made, its end token left out

    @property
    def done(self):
        return self.finish_reason is not None

    def _read(self, outputs, text_key):
        self.finish_reason = _text(outputs["finish_reason"]) or None
        self.prompt_length, self.generated = int(outputs["prompt_tokens"]), int(outputs["completion_tokens"])
        return _text(outputs[text_key])


class ChatReply(_ChatCall):
    """A whole reply, made by one `chat` call: its one `advance()` returns all of it."""

    def start(self):
        """Nothing to read ahead: the call is the whole reply."""

    def advance(self):
        return self._read(self.servable.call(CHAT_SIGNATURE, self.arguments), "reply")


class ChatStream(_ChatCall):
    """A reply made one piece per `chat_step` call, the pieces so far sent back each time.

    `start()` makes the first piece, so that a conversation the graph refuses is refused
    before a stream's first byte; `advance()` hands it out, then makes the next.
    """

    def __init__(self, *args):
        super().__init__(*args)
        self.text = ""  # the reply so far, whole (a stop string is the caller's business)
        self.pending = None  # the piece `start` made

    def _step(self):
        piece = self._read(self.servable.call(CHAT_STEP_SIGNATURE, {**self.arguments, "reply": self.text}), "token")
        self.text += piece
        return piece

    def start(self):
        self.pending = self._step()

    def advance(self):
        piece, self.pending = (self._step() if self.pending is None else self.pending), None
        return piece
