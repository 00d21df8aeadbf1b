"""Next-token samplers: greedy, temperature, top-k and top-p, in `keras.ops` only.

Randomness comes from a counter-based hash of (seed, step, row, token), not
from a stateful generator. The same seed therefore gives the same tokens
eagerly, inside a compiled loop, inside an exported SavedModel and on every
backend, and no random state has to be threaded through a decoding loop.
Sampling uses the Gumbel-max trick: argmax(logits / T + g) with g standard
Gumbel noise draws a token with probability softmax(logits / T).
"""

from keras import ops

from kerazoo.utils.arguments import check_integer
from kerazoo.utils.arguments import check_number

MAX_GENERATE_LENGTH = 10_000

# Odd 32-bit constants written as signed int32 (murmur3's finalizer and the
# golden-ratio increment).
_M1 = -2048144789  # 0x85EBCA6B
_M2 = -1028477387  # 0xC2B2AE35
_GOLDEN = -1640531527  # 0x9E3779B9


def _shift_right(x, bits):
    # A logical shift on int32: arithmetic shift, then clear the sign copies.
    return ops.bitwise_and(ops.right_shift(x, bits), (1 << (32 - bits)) - 1)


def _mix32(x):
    """murmur3's 32-bit finalizer; int32 arithmetic wraps on every backend."""
    x = ops.bitwise_xor(x, _shift_right(x, 16))
    x = ops.multiply(x, _M1)
    x = ops.bitwise_xor(x, _shift_right(x, 13))
    x = ops.multiply(x, _M2)
    return ops.bitwise_xor(x, _shift_right(x, 16))


def hash_uniform(seed, step, shape):
    """Uniform floats in (0, 1) of `shape` (rows, columns), a pure function of its arguments.

    Args:
        seed: int or int32 scalar tensor.
        step: int or int32 scalar tensor, e.g. the decoding position.
        shape: tuple `(rows, columns)`; `rows` may be a tensor.
    """
    rows, columns = shape
    seed = ops.cast(seed, "int32")
    step = ops.cast(step, "int32")
    key = _mix32(_mix32(seed + _GOLDEN) + ops.multiply(step, _GOLDEN))
    row = ops.expand_dims(ops.arange(rows, dtype="int32"), 1)
    column = ops.expand_dims(ops.arange(columns, dtype="int32"), 0)
    counter = ops.multiply(row, columns) + column
    return bits_to_unit(_mix32(key + ops.multiply(counter, _GOLDEN)))


def bits_to_unit(bits):
    """Maps int32 random bits to floats strictly inside (0, 1).

    23 bits, centred in their bucket: (k + 0.5) / 2^23 needs 24 significant
    bits, which float32 holds exactly, so neither 0 nor 1 can come out and
    the Gumbel noise -log(-log(u)) stays finite.
    """
    top = ops.cast(_shift_right(bits, 9), "float32")
    return (top + 0.5) / float(1 << 23)


def check_sampling_args(temperature, top_k, max_length=None, top_p=1.0):
    """Raises ValueError naming the argument when a sampling option is out of range."""
    check_number("top_p", top_p, minimum=0, maximum=1, exclusive_minimum=True, note="1 turns it off")
    check_number("temperature", temperature, minimum=0, note="0 means greedy")
    check_integer("top_k", top_k, minimum=0, note="0 turns it off")
    check_integer("max_length", max_length, minimum=1, maximum=MAX_GENERATE_LENGTH, allow_none=True)


def top_k_filter(logits, top_k):
    """Sets every logit below the k-th largest of its row to -inf; k <= 0 keeps all.

    `top_k` may be a Python int or a scalar tensor (the exported model takes it
    as an input), so the threshold is read from a sort rather than `ops.top_k`.
    """
    if isinstance(top_k, int) and top_k <= 0:
        return logits  # known to be off: skip the per-step sort
    vocabulary = ops.shape(logits)[-1]
    top_k = ops.cast(top_k, "int32")
    k = ops.where(ops.logical_and(top_k > 0, top_k < vocabulary), top_k, vocabulary)
    ascending = ops.sort(logits, axis=-1)
    index = ops.full((ops.shape(logits)[0], 1), vocabulary, dtype="int32") - k
    threshold = ops.take_along_axis(ascending, index, axis=-1)
    return ops.where(logits < threshold, float("-inf"), logits)


def top_p_filter(logits, top_p):
    """Nucleus filtering (Holtzman et al., 2020): keeps the smallest set of top tokens with mass >= p.

    A token is kept when the probability of all tokens ranked above it is
    still below `top_p`, so the most likely token always survives. `top_p`
    may be a float or a scalar tensor; 1 keeps every token.
    """
    if isinstance(top_p, (int, float)) and top_p >= 1.0:
        return logits
    top_p = ops.cast(top_p, "float32")
    descending = ops.flip(ops.sort(logits, axis=-1), axis=-1)
    probabilities = ops.softmax(descending, axis=-1)
    mass_above = ops.cumsum(probabilities, axis=-1) - probabilities
    kept = ops.logical_or(mass_above < top_p, top_p >= 1.0)
    threshold = ops.min(ops.where(kept, descending, float("inf")), axis=-1, keepdims=True)
    return ops.where(logits < threshold, float("-inf"), logits)


def sample_next(logits, temperature=1.0, top_k=0, seed=0, step=0, top_p=1.0):
    """Draws one token per row of `logits` (batch, vocabulary).

    Args:
        logits: float tensor `(batch, vocabulary)`.
        temperature: float or scalar tensor. 0 picks the argmax (greedy).
        top_k: int or scalar tensor. Sample among the k most likely tokens; 0 is off.
        seed: int or scalar tensor.
        step: int or scalar tensor. The decoding position, so each step draws anew.
        top_p: float or scalar tensor in (0, 1]. Sample from the nucleus of
            mass p of the tempered distribution; 1 is off.

    Returns:
        int32 tensor `(batch,)`.
    """
    logits = ops.cast(logits, "float32")
    greedy = ops.cast(ops.argmax(logits, axis=-1), "int32")
    temperature = ops.cast(temperature, "float32")
    safe_temperature = ops.where(temperature > 0, temperature, 1.0)
    # Temperature first, so top-p measures the mass of the distribution actually sampled.
    filtered = top_p_filter(top_k_filter(logits / safe_temperature, top_k), top_p)
    uniform = hash_uniform(seed, step, ops.shape(logits))
    gumbel = -ops.log(-ops.log(uniform))
    sampled = ops.cast(ops.argmax(filtered + gumbel, axis=-1), "int32")
    return ops.where(temperature > 0, sampled, greedy)
