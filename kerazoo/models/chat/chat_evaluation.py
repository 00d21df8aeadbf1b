"""The chat family's measures: the reply's perplexity given its context, and distinct-n of sampled replies.

- Perplexity: exp of the mean negative log-likelihood per reply id, the end
  token included and `<unk>` counted as the unit it is, with teacher forcing
  (a reply longer than the model's `max_reply_length` counts its first ids).
  The same figure for a model trained with an empty context is the language
  model of replies that says what reading the context is worth.
- distinct-1 and distinct-2 (Li et al., 2016, "A Diversity-Promoting Objective
  Function for Neural Conversation Models"): the distinct unigrams (bigrams)
  of a set of replies over all their unigrams (bigrams), units as the
  vocabulary splits them. A bot that answers everything with "my lord." scores
  near 0.
"""

import math

import numpy as np
from keras import ops

from kerazoo.models.chat.chat_data import exchange_arrays
from kerazoo.models.chat.chat_generation import sample_replies
from kerazoo.models.chat.chat_vocabulary import units


def perplexity(model, vocabulary, exchanges, show_speaker=False, batch_size=128):
    """`{"value": perplexity, "nll": nats per id, "tokens": ids scored, "exchanges": n}` on `exchanges`."""
    if not exchanges:
        raise ValueError("`exchanges` must hold at least one exchange.")
    inputs, targets = exchange_arrays(vocabulary, exchanges, model.context_turns, model.context_length,
                                      model.max_reply_length, show_speaker)
    total, count = 0.0, 0
    for start in range(0, len(targets), batch_size):
        batch = {key: value[start: start + batch_size] for key, value in inputs.items()}
        logits = ops.cast(model(batch, training=False), "float32")
        log_probs = ops.take_along_axis(ops.log_softmax(logits, axis=-1),
                                        ops.expand_dims(targets[start: start + batch_size], -1), axis=-1)[..., 0]
        scored = targets[start: start + batch_size] != 0
        total -= float(np.sum(np.where(scored, ops.convert_to_numpy(log_probs), 0.0), dtype=np.float64))
        count += int(scored.sum())
    nll = total / count
    return {"value": math.exp(nll), "nll": nll, "tokens": count, "exchanges": len(exchanges)}


def distinct_n(texts, n):
    """Distinct n-grams of units over all n-grams, across `texts` (0.0 when they hold none)."""
    grams = [tuple(words[i: i + n]) for words in (units(text) for text in texts) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def diversity(model, vocabulary, exchanges, temperature=1.0, top_p=0.9, seed=0):
    """distinct-1/2 of the replies sampled for `exchanges`' contexts (the speaker not shown), and their mean length."""
    replies = sample_replies(model, vocabulary, [e.context for e in exchanges], temperature=temperature,
                             top_p=top_p, seed=seed)
    return {"distinct_1": distinct_n(replies, 1), "distinct_2": distinct_n(replies, 2),
            "mean_reply_units": float(np.mean([len(units(r)) for r in replies])), "replies": len(replies),
            "temperature": temperature, "top_p": top_p}
