"""Text in, text out: prompt encoding and decoding around `generate_ids`."""

import weakref

import numpy as np

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.generation.compiled import CompiledDecoder
from kerazoo.generation.decoding import check_decoder
from kerazoo.generation.sampling import check_sampling_args

# One compiled decoding program per model, kept as long as the model lives.
_DECODERS = weakref.WeakKeyDictionary()


def compiled_decoder(model):
    """The model's `CompiledDecoder`, built on first use and reused afterwards."""
    decoder = _DECODERS.get(model)
    if decoder is None:
        decoder = CompiledDecoder(check_decoder(model), banned_id=OOV_ID)
        _DECODERS[model] = decoder
    return decoder


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


def generate_text(model, vocabulary, prompts, max_length=200, temperature=1.0, top_k=0, seed=0, top_p=1.0):
    """Continues each prompt with `max_length` sampled characters.

    The decoding loop runs as one compiled program (see
    `kerazoo.generation.compiled`): the GPT through its key/value cache (and
    past its context on a sliding window, as nanoGPT does), the char RNNs
    through their recurrent state.

    Args:
        model: a `CharRNN` (either form) or a `GPT`.
        vocabulary: the `CharVocabulary` the model was trained with.
        prompts: str or list of str. Prompts of different lengths may share a batch.
        max_length: int in [1, 10000]. Characters generated per prompt.
        temperature: float >= 0. 0 is greedy decoding.
        top_k: int >= 0. Sample among the k most likely characters; 0 is off.
        seed: int. The same seed gives the same text, here and in the exported model.
        top_p: float in (0, 1]. Nucleus sampling; 1 is off.

    Returns:
        The prompt followed by its continuation: a str for a str prompt, else a list.

    Raises:
        ValueError: for an option out of range.
    """
    check_sampling_args(temperature, top_k, max_length, top_p)
    single = isinstance(prompts, str)
    batch = [prompts] if single else list(prompts)
    ids, lengths = encode_prompts(vocabulary, batch)
    decoder = compiled_decoder(model)
    tokens = decoder(ids, lengths, max_length, temperature, top_k, top_p, seed)
    texts = [
        prompt + vocabulary.decode(tokens[row, lengths[row] : lengths[row] + max_length])
        for row, prompt in enumerate(batch)
    ]
    return texts[0] if single else texts
