"""The chat family's data: the plays' exchanges (`kerazoo.data.dialogue`) as arrays and batches for teacher forcing.

An exchange is a reply and up to `MAX_TURNS` speeches before it in its scene,
oldest first; the four test plays and two validation plays are held out whole
(`kerazoo.data.dialogue.dialogue_splits`). This module turns exchanges into a
model's ids (`exchange_arrays`), batches them by length (`training_dataset`)
and counts the splits (`python -m kerazoo.models.chat.chat_data` prints the
sizes that docs/chat.md gives).
"""

import numpy as np

from kerazoo.data.dialogue import dialogue_splits


def exchange_arrays(vocabulary, exchanges, context_turns, context_length, max_reply_length, show_speaker=False):
    """`(inputs, targets)` for teacher forcing: `{"encoder_token_ids", "decoder_token_ids"}` and the reply targets.

    Args:
        vocabulary: a `ChatVocabulary`.
        exchanges: list of `Exchange`.
        context_turns, context_length, max_reply_length: the model's (see `ChatModel`).
        show_speaker: bool, or a bool per exchange: whether the context opens with the replier's name.
    """
    show = np.broadcast_to(np.asarray(show_speaker, dtype=bool), (len(exchanges),))
    encoder = np.zeros((len(exchanges), context_length), dtype=np.int32)
    for row, (exchange, shown) in enumerate(zip(exchanges, show)):
        ids = vocabulary.context_ids(exchange.context, context_turns, context_length,
                                     exchange.speaker if shown else None)
        encoder[row, : len(ids)] = ids
    decoder, targets = vocabulary.reply_arrays([exchange.reply for exchange in exchanges], max_reply_length)
    return {"encoder_token_ids": encoder, "decoder_token_ids": decoder}, targets


def length_batches(lengths, batch_size, seed, epoch, chunk=32):
    """One epoch of batches (arrays of row indices) of rows of similar `lengths`, in a seeded order.

    The rows are shuffled (seed and epoch), cut into chunks of `chunk` batches, sorted by length inside
    each chunk and cut into batches, whose order is shuffled again; the last `len % batch_size` rows of
    the shuffle wait for the next epoch. Padding each batch only to its longest row saves the work of
    the short replies (half of them are under 17 units, and 40 are kept).
    """
    rng = np.random.default_rng([seed, int(epoch)])
    order = rng.permutation(len(lengths))[: len(lengths) // batch_size * batch_size]
    batches = []
    for start in range(0, len(order), batch_size * chunk):
        part = order[start: start + batch_size * chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i: i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def training_dataset(inputs, targets, batch_size, seed, epoch=0, multiple=8):
    """An endless `tf.data` dataset of `(inputs, targets)` batches from `exchange_arrays`, each trimmed to its rows'
    longest context and reply (rounded up to a `multiple`, so few shapes are compiled); see `length_batches`."""
    import tensorflow as tf

    lengths = (targets != 0).sum(axis=1) * 1000 + (inputs["encoder_token_ids"] != 0).sum(axis=1)

    def indices():
        e = epoch
        while True:
            yield from length_batches(lengths, batch_size, seed, e)
            e += 1

    encoder, decoder = tf.constant(inputs["encoder_token_ids"]), tf.constant(inputs["decoder_token_ids"])
    replies = tf.constant(targets)

    def width(ids, limit):
        longest = tf.reduce_max(tf.reduce_sum(tf.cast(ids != 0, tf.int32), axis=1))
        return tf.minimum((longest + multiple - 1) // multiple * multiple, limit)

    def lookup(rows):
        source, reply = tf.gather(encoder, rows), tf.gather(replies, rows)
        source_width, reply_width = width(source, encoder.shape[1]), width(reply, replies.shape[1])
        return ({"encoder_token_ids": source[:, :source_width],
                 "decoder_token_ids": tf.gather(decoder, rows)[:, :reply_width]}, reply[:, :reply_width])

    rows = tf.data.Dataset.from_generator(indices, output_signature=tf.TensorSpec([batch_size], tf.int64))
    return rows.map(lookup).prefetch(2)


def split_sizes(splits):
    """Per split: plays, exchanges, and the units of the replies and of their last context turn."""
    from kerazoo.models.chat.chat_vocabulary import units

    return {split: {"plays": len({e.play for e in exchanges}), "exchanges": len(exchanges),
                    "reply_units": sum(len(units(e.reply)) for e in exchanges),
                    "last_turn_units": sum(len(units(e.context[-1])) for e in exchanges)}
            for split, exchanges in splits.items()}


def unknown_shares(splits, vocabulary):
    """Per split: the share of reply units that are `<unk>` in `vocabulary`."""
    from kerazoo.models.chat.chat_vocabulary import UNK_ID

    shares = {}
    for split, exchanges in splits.items():
        ids = [i for exchange in exchanges for i in vocabulary.encode(exchange.reply)]
        shares[split] = sum(i == UNK_ID for i in ids) / len(ids)
    return shares


if __name__ == "__main__":
    import json

    from kerazoo.models.chat.chat_vocabulary import ChatVocabulary

    splits = dialogue_splits()
    train = splits["train"]
    # The plays-chat vocabulary: 6,000 ids from the training replies and speakers' names.
    vocabulary = ChatVocabulary.from_texts([e.reply for e in train] + [e.speaker for e in train], 6000)
    shares = unknown_shares(splits, vocabulary)
    print(json.dumps({"sizes": split_sizes(splits), "unknown_reply_units_at_6000_ids": shares}, indent=2))
