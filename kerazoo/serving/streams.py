"""Streaming generation through a SavedModel's `step` signature, one character at a time.

The server keeps each stream's decoding state (a char RNN's recurrent state, a
GPT's key/value cache with its position) between steps, so the prompt is read
once and the history is never recomputed. The next character is drawn by
kerazoo's own sampler (`kerazoo.generation.sampling.sample_next`) with the same
counter-based randomness as the `generate` signature, so a stream with a seed
gives the same text as `generate` with that seed.
"""

import random
import threading

from kerazoo.serving.budgets import stream_prompt_ids
from kerazoo.serving.errors import invalid
from kerazoo.serving.errors import tensorflow_error

OOV_ID = 0  # the out-of-vocabulary id: never generated, as in the `generate` signature

_DEFAULTS = {"max_length": 200, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": None}


def _number(body, key, kind, low=None, high=None, low_open=False):
    value = body.get(key, _DEFAULTS[key])
    if key == "seed" and value is None:
        return random.randrange(0, 2**31 - 1)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not float(value).is_integer()):
        raise invalid(f"`{key}` must be {'an integer' if kind is int else 'a number'}. Received: {key}={value!r}"[:300])
    if value != value or value in (float("inf"), float("-inf")):
        raise invalid(f"`{key}` must be finite. Received: {key}={value}")
    value = kind(value)
    if low is not None and (value <= low if low_open else value < low) or high is not None and value > high:
        interval = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}]"
        raise invalid(f"`{key}` must be in {interval}. Received: {key}={value}")
    return value


def parse_stream_request(body, servable):
    """The options of a `:stream` request, checked; raises `ServingError`."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object with `prompt` and optional `max_length`, "
                      "`temperature`, `top_k`, `top_p`, `seed`.")
    unknown = sorted(set(body) - {"prompt", *_DEFAULTS})
    if unknown:
        raise invalid(f"Unknown keys in the stream request: {unknown}; it takes `prompt`, {sorted(_DEFAULTS)}.")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise invalid(f"`prompt` must be a non-empty string. Received: prompt={prompt!r}"[:300])
    limits = servable.info.get("limits") or {}
    longest = limits.get("max_prompt_length", 4096)
    if len(prompt) > longest:
        raise invalid(f"`prompt` must hold at most {longest} characters (the limit the model was exported with). "
                      f"Received {len(prompt)}.")
    return {
        "prompt": prompt,
        "max_length": _number(body, "max_length", int, 1, limits.get("max_length", 10_000)),
        "temperature": _number(body, "temperature", float, 0.0),
        "top_k": _number(body, "top_k", int, 0, 2**31 - 1),
        "top_p": _number(body, "top_p", float, 0.0, 1.0, low_open=True),
        "seed": _number(body, "seed", int, 0, 2**31 - 1),
    }


_SAMPLER_LOCK = threading.Lock()


def sampler(servable):
    """kerazoo's sampler compiled into one graph for `servable` (made once): logits -> the next id.

    The out-of-vocabulary id is never drawn, as in the `generate` signature.
    """
    import tensorflow as tf

    from kerazoo.generation.sampling import sample_next

    with _SAMPLER_LOCK:
        if getattr(servable, "_sampler", None) is None:
            @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)] + [
                tf.TensorSpec([], dtype) for dtype in (tf.int32, tf.float32, tf.int32, tf.float32, tf.int32)])
            def sample(logits, step, temperature, top_k, top_p, seed):
                banned = tf.one_hot(OOV_ID, tf.shape(logits)[-1], on_value=True, off_value=False)[tf.newaxis]
                logits = tf.where(banned, float("-inf"), logits)
                return sample_next(logits, temperature, top_k, seed, step, top_p)

            servable._sampler = sample
        return servable._sampler


class Stream:
    """One stream's state on the server.

    `start()` reads the prompt in one `step` call; each `advance()` draws a
    character, feeds it back through `step` and returns its text. The state
    stays in TensorFlow tensors between steps.
    """

    def __init__(self, servable, prompt, max_length, temperature, top_k, top_p, seed):
        import tensorflow as tf

        self.servable = servable
        self.options = [tf.constant(temperature, tf.float32), tf.constant(top_k, tf.int32),
                        tf.constant(top_p, tf.float32), tf.constant(seed, tf.int32)]
        self.max_length = max_length
        index = {character: i + 1 for i, character in enumerate(servable.characters)}
        ids = [index.get(character, OOV_ID) for character in prompt]
        self.prompt_length = len(ids)  # the prompt's tokens, all of them (a GPT reads only its last window)
        self.position = len(ids) - 1  # the position of the last token read, for the sampler's counter
        self.prompt_ids = stream_prompt_ids(servable, ids)  # past a context window, only the last window
        self.generated = 0
        self.function = servable.signatures["step"]
        self.sample = sampler(servable)
        specs = servable.specs["step"]["inputs"]
        self.state = {
            name: tf.zeros([1, *shape[1:]] if shape else [], dtype=dtype)
            for name, (dtype, shape) in specs.items() if name != "token_ids"
        }
        self.logits = None

    def _step(self, ids):
        import tensorflow as tf

        try:
            outputs = self.function(token_ids=tf.constant([ids], tf.int32), **self.state)
        except tf.errors.OpError as error:
            raise tensorflow_error(error) from None
        self.state = {name: outputs[name] for name in self.state}
        self.logits = tf.cast(outputs["logits"][:, -1, :], tf.float32)

    def start(self):
        self._step(self.prompt_ids)

    def advance(self):
        """Draws the next character and reads it; returns its text ('' for the unknown id)."""
        import tensorflow as tf

        try:
            token = int(self.sample(self.logits, self.position, *self.options)[0])
        except tf.errors.OpError as error:  # a cancelled call too (`kerazoo.serving.deadlines`)
            raise tensorflow_error(error) from None
        self.generated += 1
        self.position += 1
        if self.generated < self.max_length:
            self._step([token])
        return self.servable.characters[token - 1] if token > 0 else ""

    @property
    def done(self):
        return self.generated >= self.max_length

    @property
    def finish_reason(self):
        """"length" once `max_length` characters are made (a char model has no end token), else None."""
        return "length" if self.done else None
