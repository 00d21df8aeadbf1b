"""The requests of the OpenAI-compatible routes, checked: fields, sampling settings, prompts, messages, stop strings.

Every refusal is a `ServingError` whose `param` names the field at fault, so that
`kerazoo.serving.errors.error_body(error, "openai")` renders OpenAI's
`{"error": {"message", "type", "param", "code"}}`. The wording of range checks is
kerazoo's own (`kerazoo.utils.arguments`): "`top_p` must be in (0, 1] ... Received: top_p=0".

The routes take only the fields below. Any other field is refused, never ignored, and
so is a sampling setting a model cannot honour. `user` is taken and not used: it
identifies the client's end user for OpenAI's abuse monitoring and never changes the
output.

A chat model is a SavedModel with a `chat` signature, of this shape (`chat_protocol`):

| input | dtype, shape | |
| --- | --- | --- |
| `turns` | string [batch, turns] | the messages' contents, oldest first |
| `roles` | string [batch, turns] | optional: `system`, `user` or `assistant` for each turn |
| `max_length` | int32 [] | the most tokens the reply may have (`max_tokens`) |
| `temperature`, `top_p` | float32 [] | optional: those it can honour |
| `seed`, `top_k` | int32 [] | optional: those it can honour (`top_k` gets 0, off) |

| output | dtype, shape | |
| --- | --- | --- |
| `reply` | string [batch] | the reply |
| `reply_tokens` | int32 [batch] | the tokens it made, not its end token (< `max_length`: it ended by itself) |
| `context_tokens` | int32 [batch] | the tokens of the turns it read |
"""

import random

from kerazoo.serving.budgets import limit_of
from kerazoo.serving.errors import ServingError
from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number

SAMPLING = ("max_tokens", "temperature", "top_p", "seed", "stop", "n", "stream", "user")
COMPLETION_FIELDS = ("model", "prompt", *SAMPLING)
CHAT_FIELDS = ("model", "messages", *SAMPLING)
ROLES = ("system", "user", "assistant")
COMPLETION_MAX_TOKENS = 16  # OpenAI's default for /v1/completions
MAX_STOPS = 4
MAX_STOP_CHARACTERS = 100
MAX_SEED = 2**31 - 1  # the sampler's seed is an int32

CHAT_SIGNATURE = "chat"
# A `chat` input -> the request field that sets it (None: set by the server, `top_k` to 0, off).
CHAT_OPTIONS = {"max_length": "max_tokens", "temperature": "temperature", "top_p": "top_p", "seed": "seed",
                "top_k": None}
CHAT_OUTPUTS = ("reply", "reply_tokens", "context_tokens")


def refuse(message, param=None, code="INVALID_ARGUMENT"):
    """A refusal naming the request field at fault (`param`)."""
    return ServingError(message, code, param=param)


def _checked(check, name, value, **options):
    """`check(name, value, ...)` from `kerazoo.utils.arguments`, its ValueError turned into a refusal naming `name`."""
    try:
        return check(name, value, **options)
    except ValueError as error:
        raise refuse(str(error)[:400], name) from None


def check_body(body, fields):
    """Refuses a body that is not an object, has a field not in `fields`, or names no model; returns the model name."""
    if not isinstance(body, dict):
        raise refuse(f"The request body must be a JSON object with the fields {list(fields)}. Received: "
                     f"{type(body).__name__}.")
    for key in body:
        if key not in fields:
            raise refuse(f"Unrecognized request argument supplied: {key[:100]}. This route takes {list(fields)}; "
                         f"see docs/serving.md, \"OpenAI-compatible API\".", key[:100])
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise refuse(f"`model` must be the name of a served model (GET /v1/models lists them). Received: "
                     f"model={model!r}"[:300], "model")
    return model


def _given(body, key):
    """The field's value, None when absent or null (OpenAI's clients send null for a field left unset)."""
    return body.get(key)


def _stops(value):
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not 1 <= len(stops) <= MAX_STOPS or \
            not all(isinstance(s, str) and 1 <= len(s) <= MAX_STOP_CHARACTERS for s in stops):
        raise refuse(f"`stop` must be a string or a list of 1 to {MAX_STOPS} strings, each of 1 to "
                     f"{MAX_STOP_CHARACTERS} characters. Received: stop={value!r}"[:400], "stop")
    return stops


def sampling_options(body, servable, default_max_tokens, rows=1):
    """The settings every route shares, checked against the model's limits.

    `rows` is the number of prompts: `n` of each must fit the model's `max_batch`.
    """
    limit = limit_of(servable, "max_length")
    max_tokens = _given(body, "max_tokens")
    max_tokens = default_max_tokens if max_tokens is None else _checked(
        check_integer, "max_tokens", max_tokens, minimum=1, maximum=limit,
        note=f"{limit} is the model's limit `max_length`, set at export")
    n = _given(body, "n")
    n = 1 if n is None else _checked(check_integer, "n", n, minimum=1)
    most = limit_of(servable, "max_batch")
    if n * rows > most:
        raise refuse(f"`n` x the number of prompts must be <= {most}, the model's limit `max_batch`. Received: "
                     f"n={n} for {rows} prompt{'s' if rows > 1 else ''}.", "n")
    temperature, top_p, seed = (_given(body, key) for key in ("temperature", "top_p", "seed"))
    stream, user = _given(body, "stream"), _given(body, "user")
    if stream is not None and not isinstance(stream, bool):
        raise refuse(f"`stream` must be true or false. Received: stream={stream!r}"[:300], "stream")
    if user is not None and not isinstance(user, str):
        raise refuse(f"`user` must be a string. Received: user={user!r}"[:300], "user")
    return {
        "max_tokens": max_tokens,
        "n": n,
        # `given` lists the sampling settings the request set, which a chat model must be able to honour.
        "given": [key for key in ("temperature", "top_p", "seed") if _given(body, key) is not None],
        "temperature": 1.0 if temperature is None else float(_checked(check_number, "temperature", temperature,
                                                                      minimum=0, maximum=2, note="0 means greedy")),
        "top_p": 1.0 if top_p is None else float(_checked(check_number, "top_p", top_p, minimum=0, maximum=1,
                                                          exclusive_minimum=True, note="1 turns it off")),
        "seed": random.randrange(0, MAX_SEED) if seed is None else _checked(check_integer, "seed", seed, minimum=0,
                                                                           maximum=MAX_SEED),
        "stop": _stops(_given(body, "stop")),
        "stream": bool(stream),
    }


def _text_limit(servable):
    return limit_of(servable, "max_prompt_length")


def parse_completion(body, servable):
    """A `/v1/completions` request: `prompts` (a list of str) and the sampling settings."""
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and p for p in prompts):
        raise refuse(f"`prompt` must be a non-empty string or a non-empty list of them (text: token id prompts are "
                     f"not taken). Received: prompt={prompt!r}"[:300], "prompt")
    longest = _text_limit(servable)
    for i, text in enumerate(prompts):
        if len(text) > longest:
            where = "" if isinstance(prompt, str) else f" (prompt {i})"
            raise refuse(f"`prompt` must hold at most {longest} characters, the model's limit `max_prompt_length`. "
                         f"Received {len(text)}{where}.", "prompt")
    return {"prompts": prompts, **sampling_options(body, servable, COMPLETION_MAX_TOKENS, rows=len(prompts))}


def chat_protocol(servable):
    """The inputs of `servable`'s `chat` signature; refuses a model that has none, or one of another shape."""
    specs = servable.specs.get(CHAT_SIGNATURE)
    if specs is None:
        other = (" It completes text: use POST /v1/completions for it." if servable.can_stream else "")
        raise refuse(f"Model {servable.name} is not a chat model: its SavedModel has no `chat` signature (it has "
                     f"{sorted(servable.signatures)}).{other}", "model")
    inputs, outputs = specs["inputs"], specs["outputs"]
    known = {"turns", "roles", *CHAT_OPTIONS}
    if inputs.get("turns", (None,))[0] != "string" or "max_length" not in inputs or set(inputs) - known or \
            set(CHAT_OUTPUTS) - set(outputs):
        raise refuse(f"Model {servable.name}'s `chat` signature (inputs {sorted(inputs)}, outputs "
                     f"{sorted(outputs)}) is not of the shape /v1/chat/completions calls: inputs `turns`, "
                     f"`max_length` and any of {sorted(known - {'turns', 'max_length'})}; outputs "
                     f"{list(CHAT_OUTPUTS)} (docs/serving.md).", "model", "FAILED_PRECONDITION")
    return inputs


def parse_chat(body, servable, inputs):
    """A `/v1/chat/completions` request: `roles` and `turns` (lists of str) and the sampling settings."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise refuse(f"`messages` must be a non-empty list of {{\"role\", \"content\"}} objects. Received: "
                     f"messages={messages!r}"[:300], "messages")
    longest, roles, turns = _text_limit(servable), [], []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise refuse(f"`{where}` must be an object with `role` and `content`. Received: {message!r}"[:300], where)
        for key in message:
            if key not in ("role", "content"):
                raise refuse(f"Unrecognized field `{where}.{key[:100]}`: a message has `role` and `content`.",
                             f"{where}.{key[:100]}")
        role = _checked(check_choice, f"{where}.role", message.get("role"), choices=ROLES)
        content = message.get("content")
        if not isinstance(content, str):
            raise refuse(f"`{where}.content` must be a string. Received: {where}.content={content!r}"[:300],
                         f"{where}.content")
        if len(content) > longest:
            raise refuse(f"`{where}.content` must hold at most {longest} characters, the model's limit "
                         f"`max_prompt_length`. Received {len(content)}.", f"{where}.content")
        if role == "system" and "roles" not in inputs:
            raise refuse(f"Model {servable.name}'s `chat` signature takes its turns without roles, so the system "
                         f"message {where} would be read as a turn of the dialogue; send user and assistant "
                         f"messages only.", f"{where}.role")
        roles.append(role)
        turns.append(content)
    options = sampling_options(body, servable, limit_of(servable, "max_length"))
    for key in options["given"]:
        if key not in inputs:
            raise refuse(f"Model {servable.name} cannot honour `{key}`: its `chat` signature has no `{key}` input "
                         f"(it takes {sorted(inputs)}). Received: {key}={body[key]!r}; leave it out.", key)
    return {"roles": roles, "turns": turns, **options}


class StopScanner:
    """Finds the first stop string in text that arrives in pieces, and holds back what may be the start of one.

    The first stop string is the one whose occurrence ends first (the longest, when two end
    together): what a generator that stops as soon as it sees one would stop at. So the same
    text gives the same cut whether it arrives at once or a character at a time.
    """

    def __init__(self, stops):
        self.stops = stops
        self.text = ""
        self.shown = 0  # how much of `text` has been handed out
        self.stopped = False

    def feed(self, piece):
        """Adds `piece`; returns the text now safe to show. Once a stop string is found, `stopped` is True and no
        more text comes."""
        if self.stopped:
            return ""
        before = len(self.text)
        self.text += piece
        found = None
        for stop in self.stops:
            start = self.text.find(stop, max(0, before - len(stop) + 1))
            if start >= 0 and (found is None or (start + len(stop), start) < (found[0] + found[1], found[0])):
                found = (start, len(stop))
        if found is not None:
            self.text, self.stopped = self.text[:found[0]], True
            return self.rest()
        held = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(self.text) - self.shown), held, -1):
                if self.text.endswith(stop[:k]):
                    held = k
                    break
        safe = len(self.text) - held
        shown, self.shown = self.text[self.shown:safe], max(self.shown, safe)
        return shown

    def rest(self):
        """The text not handed out yet (what was held back, once no more comes)."""
        shown, self.shown = self.text[self.shown:], len(self.text)
        return shown
