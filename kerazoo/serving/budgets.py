"""Batch x length budgets, checked by the server before a signature call.

The per-axis limits a SavedModel was exported with (`max_batch`, `max_tokens`, ...)
are checked in its graph. Their product is not: 64 rows of 4,096 ids each pass
both. The server bounds the product before any work starts, from two limits
registered in `kerazoo.signatures.context`, read from the model's
`assets/kerazoo.json` or, for a SavedModel exported before they existed, their
registered defaults:

- `max_batch_tokens`: the ids of one call, summed over its numeric inputs:
  rows x length (the first two dimensions; ELMo's characters of a token count
  as one token). String inputs (prompts, sources, sentences, words) are
  bounded by their own per-axis limits and, for `generate`, by:
- `max_batch_steps`: the decoding steps of one `generate` call, rows x (longest
  prompt + `max_length`).

A value past a per-axis limit is left to the graph, which names that limit. A
call past a budget is 400 INVALID_ARGUMENT (`check_budget` says why).
The measurements behind the defaults are in docs/serving.md.
"""

import numpy as np

from kerazoo.serving.errors import invalid
from kerazoo.signatures.context import registered_limits


def limit_of(servable, name):
    """The model's limit `name`, or its registered default when the model was exported without it.

    None for a family's limit that neither the model records nor this process registered (its
    family not imported): the model's graph checks it in any case.
    """
    limits = servable.info.get("limits") or {}
    value = limits.get(name)
    if isinstance(value, int) and value > 0:
        return value
    registered = registered_limits().get(name)
    return None if registered is None else registered.default


def budget_of(servable):
    return limit_of(servable, "max_batch_tokens")


def _string_length(value):
    return len(value.decode("utf-8", "replace")) if isinstance(value, bytes) else len(str(value))


def call_cost(arrays):
    """The ids of one call: rows x length of each numeric input, summed (scalars and strings count nothing)."""
    cost = 0
    for value in arrays.values():
        value = np.asarray(value)
        if value.ndim == 0 or value.dtype.kind not in "iufb":
            continue
        cost += value.shape[0] * (value.shape[1] if value.ndim >= 2 else 1)
    return cost


def check_budget(servable, signature, arrays):
    """Refuses (400 INVALID_ARGUMENT) a predict call whose batch x length is past the model's budgets.

    INVALID_ARGUMENT, not RESOURCE_EXHAUSTED (which TF Serving answers 429, "too many requests"): the request is
    too big for the model whatever the load, and retrying it never helps. TF Serving's batcher refuses a call
    larger than its batch limit the same way ("Task size N is larger than maximum input batch size M").
    """
    max_length = arrays.get("max_length")
    if max_length is not None and np.ndim(max_length) == 0 and "prompt" in arrays:
        length = int(max_length)
        prompts = np.asarray(arrays["prompt"])
        longest = max((_string_length(v) for v in prompts.reshape(-1)), default=0)
        if 1 <= length <= limit_of(servable, "max_length") and longest <= limit_of(servable, "max_prompt_length"):
            steps, budget = prompts.size * (longest + length), limit_of(servable, "max_batch_steps")
            if steps > budget:
                raise invalid(f"`{signature}` may run at most {budget} decoding steps per call (rows x (longest "
                              f"prompt + max_length), the limit `max_batch_steps`). Received {prompts.size} x "
                              f"({longest} + {length}) = {steps}; send fewer prompts or a smaller `max_length`.")
        return
    cost, budget = call_cost(arrays), budget_of(servable)
    longest = max((np.shape(v)[1] for v in arrays.values() if np.ndim(v) >= 2), default=0)
    if cost > budget and longest <= limit_of(servable, "max_tokens"):
        rows = max((len(v) for v in arrays.values() if np.ndim(v) >= 1), default=0)
        raise invalid(f"`{signature}` may take at most {budget} ids per call, summed over rows and inputs (the "
                      f"limit `max_batch_tokens`). Received {cost} in {rows} rows; send fewer or shorter rows.")


def stream_prompt_ids(servable, ids):
    """The part of a stream's prompt the model needs: all of it, or the last `context_length` ids.

    A model with a context window (`context_length` in kerazoo.json, the GPT's) sees only its last
    `context_length` tokens: past the context each token recomputes the whole window, so a
    4,096-character prompt read one id at a time took 44 s. Its last window read through the cache
    leaves the same next-token distribution, in one step.
    """
    context = servable.info.get("context_length")
    if isinstance(context, int) and context > 0 and len(ids) > context:
        return ids[-context:]
    return ids
