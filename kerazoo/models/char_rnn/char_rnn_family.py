"""The char_rnn family: SimpleRNN, LSTM and GRU character language models.

Everything about the family is in this folder: the model (`char_rnn_model.py`,
with the equations), the builders, the presets, and this family object, which
is a `CausalLMFamily` with the recurrent models' flags and the `step`
signature that carries the recurrent state between calls.
"""

from kerazoo.models.causal_lm import CAUSAL_LM_FLAGS
from kerazoo.models.causal_lm import CausalLMFamily
from kerazoo.models.causal_lm import heldout_text
from kerazoo.models.char_rnn import char_rnn_export  # noqa: F401  (registers the `rnn_step` signature builder)
from kerazoo.models.char_rnn.char_rnn_builders import BUILDERS
from kerazoo.models.char_rnn.char_rnn_evaluation import streaming_loss
from kerazoo.models.char_rnn.char_rnn_model import CharRNN
from kerazoo.models.char_rnn.char_rnn_configs import CHAR_RNN_CONFIGS
from kerazoo.models.family import Flag
from kerazoo.models.family import common_flags


class CharRNNFamily(CausalLMFamily):
    name = "char_rnn"
    description = "Character-level SimpleRNN, LSTM and GRU language models."
    builders = BUILDERS
    model_classes = (CharRNN,)
    configs = CHAR_RNN_CONFIGS
    default_model = "lstm"
    flags = CAUSAL_LM_FLAGS + common_flags("units", "num_layers", "embedding_dim", "dropout") + (
        Flag("cell_api", switch=True, target="model",
             help="stack cells in one RNN (the lectures' StackedRNNCells form)"),
    )
    signatures = {**CausalLMFamily.signatures, "step": "rnn_step"}

    def measure(self, model, vocabulary, spec, folder=None):
        """Also `streamed_loss`: the held-out text read with the recurrent state carried (`streaming_loss`)."""
        if spec["kind"] != "streamed_loss":
            return super().measure(model, vocabulary, spec, folder)
        ids = vocabulary.encode(heldout_text(spec["data"]))
        result = streaming_loss(model, ids)
        return {"value": result["loss"], "bits_per_char": result["bpc"], "characters": result["characters"]}


CHAR_RNN_FAMILY = CharRNNFamily()
