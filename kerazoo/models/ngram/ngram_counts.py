"""Counting n-grams and estimating the smoothed tables, in NumPy (the n-gram model's "training").

A text of ids is read as one stream padded on the left with `order - 1`
copies of id 0 (the out-of-vocabulary id, which no training target takes,
so it doubles as the start-of-text symbol). Every target position then has
a full history, and at each position the model counts the k-gram ending
there for every k = 1..order (the suffixes of its order-gram window). So
every k-gram counted at a lower order has a left extension counted one order
up, which makes the Kneser-Ney continuation counts and the context counts
agree and every conditional distribution sum to one.

Contexts are kept as a trie read from the most recent token backwards: a
context of k-1 tokens at order k is its suffix of k-2 tokens (a context at
order k-1, its "parent") extended by one older token. Each order stores:

- `context_token` (C_k,): the older token that extends the parent; the
  children of each parent are contiguous and sorted by token, so a context
  is found by a binary search within its parent's range `child_start`;
- `entry_start` (C_k + 1,), `entry_word` (E_k,): the words seen after each
  context, contiguous per context and sorted;
- the estimated `entry_alpha` (E_k,) and `gamma` (C_k,) of interpolation:

      p_k(w | h) = alpha_k(h, w) + gamma_k(h) * p_{k-1}(w | h')    (h seen)
      p_k(w | h) = p_{k-1}(w | h')                                  (h unseen)

Nothing here is V^n: the sizes are the numbers of distinct contexts and
n-grams in the text.
"""

import numpy as np

from kerazoo.utils.arguments import check_integer

SMOOTHINGS = ("kn", "modified-kn", "add-k")
BASES = ("uniform", "none")


def check_ids(ids, vocabulary_size):
    ids = np.asarray(ids)
    if ids.ndim != 1 or not len(ids):
        raise ValueError(f"`ids` must be a non-empty 1-D sequence of token ids. Received: shape={ids.shape}")
    if ids.min() < 0 or ids.max() >= vocabulary_size:
        raise ValueError(
            f"`ids` must be in [0, {vocabulary_size}). Received: ids in [{ids.min()}, {ids.max()}]"
        )
    return ids.astype(np.int64)


def padded_windows(ids, order):
    """`(history, targets)`: for each position, its `order - 1` previous ids (oldest first, 0-padded) and its id."""
    ids = np.asarray(ids, dtype=np.int64)
    width = max(order - 1, 1)
    stream = np.concatenate([np.zeros(width, np.int64), ids])
    history = np.lib.stride_tricks.sliding_window_view(stream[:-1], width)[-len(ids):]
    if order == 1:
        history = np.zeros_like(history)
    return history, ids


def count_ngrams(ids, order, vocabulary_size):
    """Counts every k-gram (k = 1..order) of the 0-padded stream `ids`.

    Returns:
        list of dicts, one per order k = 1..order, with `context_token`,
        `context_parent`, `child_start` (the children ranges of the order
        k - 1 contexts, `None` for k = 1), `entry_start`, `entry_word`, `count`
        (raw counts) and, for k < order, `continuation` (N1+(. h w): the number
        of distinct tokens seen before `h w`).
    """
    check_integer("order", order, minimum=1)
    size = int(vocabulary_size)
    ids = check_ids(ids, size)
    length = len(ids)
    stream = np.concatenate([np.zeros(order - 1, np.int64), ids])
    levels = []
    context = np.zeros(length, np.int64)  # order 1: the one empty context
    contexts = 1
    for k in range(1, order + 1):
        level = {"child_start": None, "context_token": np.zeros(0, np.int64), "context_parent": np.zeros(1, np.int64)}
        if k >= 2:
            token = stream[order - k : order - k + length]  # the token k - 1 places before each target
            unique, context = np.unique(context * size + token, return_inverse=True)
            context = context.reshape(-1)
            parent = unique // size
            level["context_token"] = unique % size
            level["context_parent"] = parent
            level["child_start"] = np.searchsorted(parent, np.arange(contexts + 1))
            contexts = len(unique)
        keys, counts = np.unique(context * size + ids, return_counts=True)
        level["entry_context"] = keys // size
        level["entry_word"] = keys % size
        level["entry_start"] = np.searchsorted(level["entry_context"], np.arange(contexts + 1))
        level["count"] = counts.astype(np.int64)
        level["keys"] = keys
        level["contexts"] = contexts
        levels.append(level)
    # N1+(. h w): each distinct (k+1)-gram x h w adds one to its suffix h w.
    for k in range(order - 1):
        lower, upper = levels[k], levels[k + 1]
        parent_keys = upper["context_parent"][upper["entry_context"]] * size + upper["entry_word"]
        index = np.searchsorted(lower["keys"], parent_keys)
        lower["continuation"] = np.bincount(index, minlength=len(lower["keys"])).astype(np.int64)
    return levels


def modified_discounts(counts):
    """Chen & Goodman's (1998) D1, D2, D3+ from the count-of-counts n1..n4 of `counts`.

    Y = n1 / (n1 + 2 n2) and D_c = c - (c + 1) Y n_{c+1} / n_c. On a tiny text
    an estimate can be undefined (n_c = 0) or fall outside (0, c]; that one is
    replaced by Y (0.5 when n1 or n2 is 0), so every discount stays > 0 and
    every context keeps some mass for the lower orders.
    """
    n = [int(np.sum(counts == c)) for c in (1, 2, 3, 4)]
    y = n[0] / (n[0] + 2 * n[1]) if n[0] and n[1] else 0.5
    discounts = []
    for c in (1, 2, 3):
        value = c - (c + 1) * y * n[c] / n[c - 1] if n[c - 1] else y
        discounts.append(value if 0.0 < value <= c else y)
    return discounts


def estimate(levels, vocabulary_size, smoothing="kn", discount=0.75, k=1.0, base="uniform"):
    """The interpolation tables of each order from `count_ngrams`' levels.

    Interpolated Kneser-Ney (`kn`, one discount `d` in (0, 1]; `modified-kn`,
    three discounts per order from its count-of-counts): at the highest order
    the counts a(h, w) are the raw counts c(h w); below it they are the
    continuation counts N1+(. h w). With A(h) = sum_w a(h, w):

        alpha_k(h, w) = (a(h, w) - D(a(h, w))) / A(h)
        gamma_k(h)    = sum_w D(a(h, w)) / A(h)

    and the order-1 distribution interpolates with the uniform 1/V
    (`base="uniform"`, Chen & Goodman's form), or stands alone
    (`base="none"`, NLTK's `KneserNeyInterpolated`, which gives a token never
    seen after anything probability 0).

    Add-k (Lidstone; Laplace for k = 1) at the highest order only:
    p(w | h) = (c(h w) + k) / (c(h) + k V), i.e. alpha = c / (c(h) + k V) and
    gamma = k V / (c(h) + k V) over the uniform; an unseen context gives 1/V.

    Returns:
        `(unigram, tables)`: the order-1 distribution, float64 (V,), and for
        each order k >= 2 a dict of `gamma`, `entry_alpha` (float64) and
        `entry_start`, `entry_word`.
    """
    size = int(vocabulary_size)
    order = len(levels)
    tables = []
    unigram = None
    for index, level in enumerate(levels):
        top = index == order - 1
        starts = level["entry_start"]
        if smoothing == "add-k":
            if not top:
                # Lower orders add nothing: their contexts only lead the search to the top order's.
                contexts = level["contexts"]
                table = {"gamma": np.ones(contexts), "entry_alpha": np.zeros(0), "entry_word": np.zeros(0, np.int64),
                         "entry_start": np.zeros(contexts + 1, np.int64)}
            else:
                totals = np.add.reduceat(level["count"], starts[:-1]).astype(np.float64)
                denominator = totals + k * size
                table = {"gamma": k * size / denominator,
                         "entry_alpha": level["count"] / denominator[level["entry_context"]],
                         "entry_word": level["entry_word"], "entry_start": starts}
        else:
            a = (level["count"] if top else level["continuation"]).astype(np.float64)
            if smoothing == "modified-kn":
                d1, d2, d3 = modified_discounts(a)
                discounts = np.where(a == 1, d1, np.where(a == 2, d2, d3))
            else:
                discounts = np.full_like(a, discount)
            discounts = np.minimum(discounts, a)
            if index == 0 and base == "none":
                discounts = np.zeros_like(a)
            totals = np.add.reduceat(a, starts[:-1])
            table = {"gamma": np.add.reduceat(discounts, starts[:-1]) / totals,
                     "entry_alpha": (a - discounts) / totals[level["entry_context"]],
                     "entry_word": level["entry_word"], "entry_start": starts}
        if index == 0:
            unigram = np.full(size, table["gamma"][0] / size if base == "uniform" or smoothing == "add-k" else 0.0)
            np.add.at(unigram, table["entry_word"], table["entry_alpha"])
            if smoothing == "add-k" and not top:
                unigram = np.full(size, 1.0 / size)
        else:
            table["context_token"] = level["context_token"]
            table["child_start"] = level["child_start"]
            tables.append(table)
    return unigram, tables


def stored_counts(levels, smoothing="kn"):
    """How many n-gram entries the model stores (every order; add-k: the highest only)."""
    if smoothing == "add-k":
        return int(len(levels[-1]["entry_word"]))
    return int(sum(len(level["entry_word"]) for level in levels))


def distinct_contexts(text, order, unit="char"):
    """The number of distinct contexts (k - 1 tokens before a token) for each k = 1..order.

    The lectures' "n-gram models scale terribly with context", in numbers:
    the count grows with every order until most contexts are seen once.

    Args:
        text: str.
        order: int >= 1.
        unit: `"char"` or `"word"` (see `kerazoo.models.ngram.ngram_vocabulary`).

    Returns:
        dict of k -> number of distinct (k - 1)-token contexts (no padding: only
        contexts that occur inside the text).
    """
    from kerazoo.models.ngram.ngram_vocabulary import make_vocabulary

    check_integer("order", order, minimum=1)
    vocabulary = make_vocabulary(unit, text)
    ids = vocabulary.encode(text).astype(np.int64)
    result = {1: 1}
    context = np.zeros(len(ids), np.int64)
    for k in range(2, order + 1):
        # Contexts that end before position k - 1 would reach into the padding: leave them out.
        shifted = np.concatenate([np.full(k - 1, -1, np.int64), ids[: len(ids) - (k - 1)]]) if len(ids) >= k - 1 else None
        if shifted is None:
            result[k] = 0
            continue
        _, context = np.unique(context * (vocabulary.size + 1) + shifted + 1, return_inverse=True)
        context = context.reshape(-1)
        result[k] = int(len(np.unique(context[k - 1:])))
    return result

