"""Baum-Welch (EM) for the categorical HMM, in NumPy, vectorised over chunks of text.

This is the family's fit step, not model code: it reads the model's
parameters as probabilities, computes expected counts with the scaled
forward-backward algorithm, and writes the re-estimated parameters back
(`HMMLanguageModel.probabilities`, `set_probabilities`). NumPy is the right
tool here: the statistics are sums over a million characters, and the
forward pass the model itself runs (in `keras.ops`) is the one the tests
compare these statistics against.

The text is cut into N chunks of L characters, each an independent sequence
that starts from π (hmmlearn's `lengths` do the same). All chunks of a group
step through time together, so each step is one (N, K) x (K, K) product:

    forward:   q_1 = π, q_t = α̂_{t-1} A;  c_t = Σ_k q_t[k] e_t[k];  α̂_t = q_t ⊙ e_t / c_t
    backward:  β̂_L = 1;  w_t = e_t ⊙ β̂_t / c_t;  β̂_{t-1} = w_t Aᵀ
    posteriors: γ_t = α̂_t ⊙ β̂_t,  Σ_t ξ_t = A ⊙ Σ_t α̂_{t-1}ᵀ w_t

with e_t = B[:, x_t]. The M-step normalises the expected counts:
π ∝ Σ_chunks γ_1, A_ij ∝ Σ ξ(i, j), B_kv ∝ Σ_{t: x_t = v} γ_t[k].
The log-likelihood of the parameters the E-step used is Σ log c_t, and EM
never lowers it (Dempster, Laird & Rubin 1977).

Reference:
    - Rabiner, "A tutorial on hidden Markov models and selected
      applications in speech recognition", Proc. IEEE 77(2), 1989 (scaling: section V.A).
"""

import dataclasses

import numpy as np

from kerazoo.utils.arguments import check_integer


@dataclasses.dataclass
class ExpectedCounts:
    """The E-step's sums over every chunk.

    Attributes:
        initial: (K,) expected first states.
        transition: (K, K) expected transitions i -> j.
        emission: (K, V) expected emissions of v from k.
        log_likelihood: float. Σ log p(chunk) under the parameters used.
        characters: int. Characters read.
    """

    initial: np.ndarray
    transition: np.ndarray
    emission: np.ndarray
    log_likelihood: float
    characters: int


def chunk_ids(ids, length):
    """Cuts `ids` into rows of `length` characters: `[(N, length) array, (1, rest) array]` (the rest if any)."""
    check_integer("length", length, minimum=1)
    ids = np.asarray(ids, dtype=np.int64)
    full = len(ids) // length
    groups = []
    if full:
        groups.append(ids[: full * length].reshape(full, length))
    if len(ids) > full * length:
        groups.append(ids[full * length :][None, :])
    return groups


def expected_counts(chunks, initial, transition, emission, dtype=np.float64, group_chars=1 << 18):
    """The E-step over `chunks` (a list of `(N, L)` int arrays) for parameters `(π, A, B)`.

    Args:
        chunks: list of int arrays `(N, L)`; the rows of one array share a length.
        initial, transition, emission: π `(K,)`, A `(K, K)`, B `(K, V)`.
        dtype: the float type of the recursion (float64 for the cross-checks,
            float32 is about twice as fast and, being scaled, as stable).
        group_chars: int. At most this many characters are held in memory at
            once (as N x L x K floats).

    Returns:
        `ExpectedCounts`.
    """
    initial = np.asarray(initial, dtype)
    transition = np.asarray(transition, dtype)
    emission = np.asarray(emission, dtype)
    states, symbols = emission.shape
    totals = ExpectedCounts(
        np.zeros(states, np.float64), np.zeros((states, states), np.float64),
        np.zeros((states, symbols), np.float64), 0.0, 0,
    )
    emission_columns = np.ascontiguousarray(emission.T)  # (V, K): row x is e for character x
    for rows in chunks:
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.size == 0:
            raise ValueError(f"Every chunk array must be 2-D and non-empty. Received: shape={rows.shape}")
        per_group = max(1, group_chars // rows.shape[1])
        for start in range(0, rows.shape[0], per_group):
            _accumulate(rows[start : start + per_group], initial, transition, emission_columns, totals)
    return totals


def _accumulate(rows, initial, transition, emission_columns, totals):
    """Adds one group's forward-backward statistics to `totals`."""
    count, length = rows.shape
    time_major = np.ascontiguousarray(rows.T)  # (L, N)
    likelihoods = emission_columns[time_major]  # (L, N, K)
    alpha = np.empty_like(likelihoods)
    normalisers = np.empty((length, count), likelihoods.dtype)
    predicted = np.broadcast_to(initial, (count, initial.shape[0]))
    for t in range(length):
        joint = predicted * likelihoods[t]
        normalisers[t] = joint.sum(axis=1)
        alpha[t] = joint / normalisers[t][:, None]
        predicted = alpha[t] @ transition
    totals.log_likelihood += float(np.log(normalisers.astype(np.float64)).sum())
    totals.characters += rows.size

    beta = np.ones_like(alpha[0])
    transitions = np.zeros_like(transition)
    for t in range(length - 1, -1, -1):
        weighted = likelihoods[t] * beta / normalisers[t][:, None]
        if t > 0:
            transitions += alpha[t - 1].T @ weighted
        alpha[t] *= beta  # alpha[t] now holds the posterior γ_t
        beta = weighted @ transition.T
    totals.transition += (transition * transitions).astype(np.float64)
    totals.initial += alpha[0].sum(axis=0, dtype=np.float64)

    # Σ_{t: x_t = v} γ_t: one weighted histogram of the characters per state.
    flat_ids = time_major.ravel()
    posteriors = alpha.reshape(-1, alpha.shape[-1]).T  # (K, L * N)
    symbols = totals.emission.shape[1]
    for k in range(posteriors.shape[0]):
        totals.emission[k] += np.bincount(flat_ids, weights=posteriors[k], minlength=symbols)


def maximise(counts, previous=None):
    """The M-step: `(π, A, B)` from `ExpectedCounts`; a row with no counts keeps `previous`'s row (or is uniform)."""
    new = []
    for index, table in enumerate((counts.initial, counts.transition, counts.emission)):
        table = np.asarray(table, np.float64)
        totals = table.sum(axis=-1, keepdims=True)
        empty = totals <= 0.0
        normalised = table / np.where(empty, 1.0, totals)
        if np.any(empty):
            fallback = (np.asarray(previous[index], np.float64) if previous is not None
                        else np.full(table.shape, 1.0 / table.shape[-1]))
            normalised = np.where(empty, fallback, normalised)
        new.append(normalised)
    return tuple(new)


def baum_welch_step(chunks, initial, transition, emission, dtype=np.float64, group_chars=1 << 18):
    """One EM iteration: `((π, A, B) new, log-likelihood of the old parameters, characters)`."""
    counts = expected_counts(chunks, initial, transition, emission, dtype=dtype, group_chars=group_chars)
    return maximise(counts, (initial, transition, emission)), counts.log_likelihood, counts.characters
