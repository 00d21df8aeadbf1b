"""Text in, text out: prompt encoding and decoding around `generate_ids`."""

import numpy as np

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.generation.decoding import generate_ids
from kerazoo.generation.decoding import rnn_step_fn
from kerazoo.generation.decoding import zero_state
from kerazoo.generation.sampling import check_sampling_args


def encode_prompts(vocabulary, prompts):
    """Encodes prompts into right-padded ids and their lengths.

    Raises:
        ValueError: when `prompts` is empty or holds an empty prompt.
    """
    if isinstance(prompts, str) or not len(prompts):
        raise ValueError(f"`prompts` must be a non-empty list of strings. Received: prompts={prompts!r}")
    empty = [i for i, prompt in enumerate(prompts) if not prompt]
    if empty:
        raise ValueError(
            "Every prompt must hold at least one character; the model needs a "
            f"first token to condition on. Received empty prompts at positions {empty}."
        )
    encoded = [vocabulary.encode(prompt) for prompt in prompts]
    lengths = np.array([len(ids) for ids in encoded], dtype=np.int32)
    padded = np.zeros((len(prompts), lengths.max()), dtype=np.int32)
    for row, ids in enumerate(encoded):
        padded[row, : len(ids)] = ids
    return padded, lengths


def generate_text(model, vocabulary, prompts, max_length=200, temperature=1.0, top_k=0, seed=0):
    """Continues each prompt with `max_length` sampled characters.

    Args:
        model: a `CharRNN` (either form).
        vocabulary: the `CharVocabulary` the model was trained with.
        prompts: str or list of str. Prompts of different lengths may share a batch.
        max_length: int in [1, 10000]. Characters generated per prompt.
        temperature: float >= 0. 0 is greedy decoding.
        top_k: int >= 0. Sample among the k most likely characters; 0 is off.
        seed: int. The same seed gives the same text, here and in the exported model.

    Returns:
        The prompt followed by its continuation: a str for a str prompt, else a list.
    """
    check_sampling_args(temperature, top_k, max_length)
    single = isinstance(prompts, str)
    batch = [prompts] if single else list(prompts)
    ids, lengths = encode_prompts(vocabulary, batch)
    streaming = model.streaming_model()
    tokens = generate_ids(
        rnn_step_fn(streaming),
        zero_state(streaming.state_sizes, len(batch)),
        ids,
        lengths,
        int(max_length),
        float(temperature),
        int(top_k),
        int(seed),
        banned_id=OOV_ID,
    )
    tokens = np.asarray(tokens)
    texts = [
        prompt + vocabulary.decode(tokens[row, lengths[row] : lengths[row] + max_length])
        for row, prompt in enumerate(batch)
    ]
    return texts[0] if single else texts
