"""What a signature builder works with: the export context, the per-call limits, and the graph checks.

Limits are a registry: the shared ones are below, and a family registers its own
(word2vec's `max_words`) from its `<family>_export.py` with `register_limit`.
Each is checked in the graph before anything grows with it, so a SavedModel
served by TF Serving, which knows nothing of kerazoo, is bounded too.
"""

import dataclasses

from kerazoo.data.lookup_tables import token_table
from kerazoo.generation.sampling import MAX_GENERATE_LENGTH


@dataclasses.dataclass(frozen=True)
class Limit:
    """A bound on the work one call may ask for.

    Attributes:
        name: str. The key of `kerazoo export --limit KEY=N` and `assets/kerazoo.json`.
        default: int. The bound when the export sets none.
        help: str. What it bounds, for the docs and `kerazoo export --help`.
        maximum: int or None. A bound the limit itself may not pass.
    """

    name: str
    default: int
    help: str
    maximum: int = None


_LIMITS = {}


def register_limit(name, default, help, maximum=None):
    """Adds a per-call limit; a family calls this from its `<family>_export.py`. Returns the `Limit`."""
    limit = Limit(name, default, help, maximum)
    if name in _LIMITS and _LIMITS[name] != limit:
        raise ValueError(f"A different limit named {name!r} is registered already. Received: {limit!r}")
    _LIMITS[name] = limit
    return limit


register_limit("max_batch", 64, "prompts, sources, sentences or id rows per call")
register_limit("max_prompt_length", 4096, "characters per `generate` prompt")
register_limit("max_length", MAX_GENERATE_LENGTH, "characters `generate` makes per prompt", maximum=MAX_GENERATE_LENGTH)
register_limit("max_source_length", 512, "characters per `translate` source")
register_limit("max_tokens", 4096, "ids per row for `serving_default` and `step`, tokens per ELMo sentence")
# Batch x length budgets. The per-axis limits above admit 64 rows x 4,096 ids, which no CPU server can
# run (one attention tensor of the date Transformer would be ~17 GB); these bound the product. The server
# checks them before a call (`kerazoo.serving.budgets`), with the registered default for a SavedModel
# exported before they existed. Measured on 2 CPU cores with the `dates-transformer` and `shakespeare-gpt`
# presets, in docs/serving.md ("Limits and refusals").
register_limit("max_batch_tokens", 8192, "ids per call, rows x length summed over the id inputs: the "
               "worst admitted date-Transformer `serving_default`, 1 x 4,096 ids on each side, takes 2.0 s and "
               "0.7 GB on 2 cores")
register_limit("max_batch_steps", 512, "decoding steps per `generate` call, rows x (longest prompt + "
               "`max_length`): the GPT preset, past its context, took 29.7 s for 1 x 1,000 and 30.1 s for "
               "8 x 300 on 2 busy cores")


def registered_limits():
    """name -> `Limit`, for every registered limit."""
    return dict(_LIMITS)


def default_limits():
    """name -> default bound, for every registered limit."""
    return {name: limit.default for name, limit in _LIMITS.items()}


def check_limits(limits):
    """The limits with the defaults filled in; raises ValueError naming an unknown or bad limit."""
    merged = default_limits()
    for key, value in (limits or {}).items():
        if key not in _LIMITS:
            raise ValueError(f"`limits` keys must be among {sorted(_LIMITS)}. Received: {key}={value!r}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"Limit `{key}` must be an integer >= 1. Received: {key}={value!r}")
        maximum = _LIMITS[key].maximum
        if maximum is not None and value > maximum:
            raise ValueError(f"Limit `{key}` must be <= {maximum}. Received: {key}={value}")
        merged[key] = value
    return merged


class ExportContext:
    """What a signature builder works with: the module being exported, its model, vocabulary and options.

    Attributes:
        module: the `tf.Module` the SavedModel saves; builders attach tables and variables to it.
        model: the model to serve (the family's `serving_model`).
        vocabulary: its vocabulary, or None.
        options: dict of export options (`beam_width`, `limits`).
        limits: dict. The most work a call may ask for (every registered limit, as set at export).
        info: dict. Facts for `assets/kerazoo.json`; builders add to it.
        assets: dict of file name -> text, written into `assets/`.
    """

    def __init__(self, module, model, vocabulary, options=None):
        self.module, self.model, self.vocabulary = module, model, vocabulary
        self.options = dict(options or {})
        self.limits = check_limits(self.options.get("limits"))
        self.info = {"limits": self.limits}
        self.assets = {}
        self._tables = {}

    def char_table(self, vocabulary):
        """A string -> id lookup of a vocabulary's units (unknown ones -> 0), made once per vocabulary."""
        key = id(vocabulary)
        if key not in self._tables:
            table = token_table(vocabulary)
            setattr(self.module, f"table_{len(self._tables)}", table)
            self._tables[key] = table
        return self._tables[key]


# --- Checks in the graph: each fails the call with an InvalidArgumentError naming the argument ---


def id_checks(tf, token_ids, size, name="token_ids"):
    return [
        tf.debugging.assert_non_negative(token_ids, message=f"`{name}` must be >= 0"),
        tf.debugging.assert_less(token_ids, size, message=f"`{name}` must be < the vocabulary size {size}"),
    ]


def batch_check(tf, tensor, limit, name):
    """The batch (first dimension) of `tensor` is at most `limit`."""
    return tf.debugging.assert_less_equal(
        tf.shape(tensor)[0], limit, message=f"`{name}` must hold at most {limit} rows (the limit set at export)"
    )


def rows_check(tf, tensor, limit, name, what="ids"):
    """Each row of `tensor` (its second dimension) holds at most `limit` entries."""
    return tf.debugging.assert_less_equal(
        tf.shape(tensor)[1], limit, message=f"every row of `{name}` must hold at most {limit} {what} (the limit set at export)"
    )


def too_long(name, limit):
    return f"every `{name}` must hold at most {limit} characters (the limit set at export)"


def text_check(tf, text, limit, name):
    """A cheap bound before any decoding: a character is at most 4 bytes of UTF-8."""
    return tf.debugging.assert_less_equal(tf.strings.length(text), 4 * limit, message=too_long(name, limit))


def after(tf, checks, *tensors):
    """`tensors`, each made to wait for `checks`: whatever is computed from them runs only if every check holds."""
    with tf.control_dependencies(checks):
        return [tf.identity(tensor) for tensor in tensors]


def printable(tf, text, length=64):
    """A string tensor made safe to put in an error message: valid UTF-8 (bad bytes replaced), at most `length` characters."""
    clean = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
    return tf.strings.substr(clean, 0, length, unit="UTF8_CHAR")
