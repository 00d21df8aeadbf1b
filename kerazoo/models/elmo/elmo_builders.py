from kerazoo.models.elmo.elmo_bilm import ELMO_CHARACTER_FILTERS
from kerazoo.models.elmo.elmo_bilm import ElmoBiLM
from kerazoo.models.elmo.elmo_embedder import ElmoEmbedder


def build_elmo(vocabulary_size, character_filters=ELMO_CHARACTER_FILTERS, character_embedding_dim=16,
               max_characters=50, num_highway=2, projection_dim=512, num_layers=2, lstm_units=4096,
               cell_clip=3.0, projection_clip=3.0, dropout=0.1, num_samples=0, seed=None, name="elmo"):
    """ELMo's biLM: character CNN, highway, forward and backward LSTM stacks, one shared (sampled) softmax.

    The defaults are AllenNLP's full ELMo (the `elmo-original` preset); see
    `ElmoBiLM` for every argument and `build_elmo_embedder` for the embedding model.

    Example:

    >>> model = build_elmo(10000, **ELMO_CONFIGS["elmo-small"]["model_kwargs"])
    >>> model.count_params()  # 1,290,000 of them in the softmax
    3970784
    """
    return ElmoBiLM(**locals())


def build_elmo_embedder(bilm, name="elmo_embedder"):
    """The embedding model of a trained biLM, with TF-Hub's output names; see `ElmoEmbedder`."""
    return ElmoEmbedder(bilm, name=name)
