"""The requests of the OpenAI-compatible routes, checked: fields, sampling settings, prompts, messages, stop strings.

Every refusal is a `ServingError` whose `param` names the field at fault, so that
`kerazoo.serving.errors.error_body(error, "openai")` renders OpenAI's
`{"error": {"message", "type", "param", "code"}}`. The wording of range checks is
kerazoo's own (`kerazoo.utils.arguments`): "`top_p` must be in (0, 1] ... Received: top_p=0".

The routes take only the fields below. Any other field is refused, never ignored
(`top_k` is not OpenAI's: the models get 0, off). `user` is taken and not used: it
identifies the client's end user for OpenAI's abuse monitoring and never changes the
output.

A chat model is one whose SavedModel has the `chat` and `chat_step` signatures of
`kerazoo.serving.chats`. Its turns carry no roles: `parse_chat` sends the messages'
contents, oldest first, and the reply answers the last one, whoever wrote it. A
`system` message is refused, since the model would read it as a line of the dialogue.
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


def sampling_options(body, servable, max_tokens, rows=1):
    """The settings every route shares, checked against the model's limits.

    `max_tokens` is `(default, limit, what the limit is)`; `rows` is the number of prompts: `n` of each must fit
    the model's `max_batch`.
    """
    default, limit, note = max_tokens
    max_tokens = _given(body, "max_tokens")
    max_tokens = default if max_tokens is None else _checked(check_integer, "max_tokens", max_tokens, minimum=1,
                                                             maximum=limit, note=f"{limit} is {note}")
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
        "temperature": 1.0 if temperature is None else float(_checked(check_number, "temperature", temperature,
                                                                      minimum=0, maximum=2, note="0 means greedy")),
        "top_p": 1.0 if top_p is None else float(_checked(check_number, "top_p", top_p, minimum=0, maximum=1,
                                                          exclusive_minimum=True, note="1 turns it off")),
        "seed": random.randrange(0, MAX_SEED) if seed is None else _checked(check_integer, "seed", seed, minimum=0,
                                                                           maximum=MAX_SEED),
        "stop": _stops(_given(body, "stop")),
        "stream": bool(stream),
    }


def parse_completion(body, servable):
    """A `/v1/completions` request: `prompts` (a list of str) and the sampling settings."""
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and p for p in prompts):
        raise refuse(f"`prompt` must be a non-empty string or a non-empty list of them (text: token id prompts are "
                     f"not taken). Received: prompt={prompt!r}"[:300], "prompt")
    longest = limit_of(servable, "max_prompt_length")
    for i, text in enumerate(prompts):
        if len(text) > longest:
            where = "" if isinstance(prompt, str) else f" (prompt {i})"
            raise refuse(f"`prompt` must hold at most {longest} characters, the model's limit `max_prompt_length`. "
                         f"Received {len(text)}{where}.", "prompt")
    limit = limit_of(servable, "max_length")
    options = sampling_options(body, servable, (COMPLETION_MAX_TOKENS, limit, "the model's limit `max_length`, set at "
                                                                               "export"), rows=len(prompts))
    return {"prompts": prompts, **options}


def _reply_limit(servable):
    """The longest reply the chat model makes (`max_reply_length` in its kerazoo.json), else the limit `max_length`."""
    longest = servable.info.get("max_reply_length")
    if isinstance(longest, int) and not isinstance(longest, bool) and longest > 0:
        return longest, "the longest reply this model makes, its `max_reply_length`"
    return limit_of(servable, "max_length"), "the model's limit `max_length`, set at export"


def parse_chat(body, servable):
    """A `/v1/chat/completions` request: `turns` (the messages' contents, oldest first) and the sampling settings."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise refuse(f"`messages` must be a non-empty list of {{\"role\", \"content\"}} objects. Received: "
                     f"messages={messages!r}"[:300], "messages")
    most, longest = limit_of(servable, "max_turns"), limit_of(servable, "max_turn_length")
    if most is not None and len(messages) > most:
        raise refuse(f"`messages` must hold at most {most} messages, the model's limit `max_turns` (it reads only "
                     f"its last few). Received {len(messages)}.", "messages")
    turns = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise refuse(f"`{where}` must be an object with `role` and `content`. Received: {message!r}"[:300], where)
        for key in message:
            if key not in ("role", "content"):
                raise refuse(f"Unrecognized field `{where}.{key[:100]}`: a message has `role` and `content`.",
                             f"{where}.{key[:100]}")
        role = _checked(check_choice, f"{where}.role", message.get("role"), choices=ROLES)
        if role == "system":
            raise refuse(f"`{where}` is a system message, which model {servable.name} cannot take: its `chat` "
                         f"signature reads the conversation's turns without roles, so the instruction would be read "
                         f"as a line of the dialogue. Send user and assistant messages only.", f"{where}.role")
        content = message.get("content")
        if not isinstance(content, str):
            raise refuse(f"`{where}.content` must be a string. Received: {where}.content={content!r}"[:300],
                         f"{where}.content")
        try:
            content.encode("utf-8")
        except UnicodeEncodeError as error:
            raise refuse(f"`{where}.content` must be UTF-8 text. Received a lone surrogate, "
                         f"{content[error.start]!r}, at character {error.start}.", f"{where}.content") from None
        if longest is not None and len(content) > longest:
            raise refuse(f"`{where}.content` must hold at most {longest} characters, the model's limit "
                         f"`max_turn_length`. Received {len(content)}.", f"{where}.content")
        turns.append(content)
    limit, note = _reply_limit(servable)
    return {"turns": turns, **sampling_options(body, servable, (limit, limit, note))}


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
