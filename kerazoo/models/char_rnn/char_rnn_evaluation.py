"""Held-out loss of a char model with its state carried through the whole text."""

import math

import numpy as np
import keras

from kerazoo.utils.arguments import check_integer


def streaming_loss(model, ids, streams=8, chunk=1000):
    """Mean next-character cross-entropy (nats) over `ids`, state carried throughout.

    `model.evaluate` on fixed windows restarts the recurrent state at every
    window, so the first characters of each window are predicted with no
    context. Here the text is cut into `streams` contiguous pieces read side
    by side, each from a zero state once, in chunks of `chunk` characters with
    the state carried between chunks: every character but the first of each
    stream is predicted from all the text before it.

    Args:
        model: a `CharRNN`.
        ids: int array. The encoded text.
        streams: int. Pieces read in parallel (the batch size).
        chunk: int. Characters per call.

    Returns:
        dict with `loss` (nats/char), `bpc` (bits/char) and `characters` scored.
    """
    check_integer("streams", streams, minimum=1)
    check_integer("chunk", chunk, minimum=1)
    ids = np.asarray(ids, dtype=np.int32)
    length = (len(ids) - 1) // streams
    if length < 1:
        raise ValueError(f"The text is too short for {streams} streams. Received: {len(ids)} ids")
    inputs = ids[: streams * length].reshape(streams, length)
    targets = ids[1 : streams * length + 1].reshape(streams, length)
    streaming = model.streaming_model()
    state = [np.zeros((streams, size), "float32") for size in streaming.state_sizes]
    total = 0.0
    for start in range(0, length, chunk):
        # `predict_on_batch` runs the backend's compiled function: an eager call steps the recurrence op by op,
        # about nine times slower on the presets' 20,000 characters, for the same figure.
        outputs = streaming.predict_on_batch([inputs[:, start : start + chunk], *state])
        logits, state = outputs[0], list(outputs[1:])
        losses = keras.losses.sparse_categorical_crossentropy(
            targets[:, start : start + chunk], logits, from_logits=True
        )
        total += float(keras.ops.sum(losses))
    count = streams * length
    loss = total / count
    return {"loss": loss, "bpc": loss / math.log(2.0), "characters": count}
