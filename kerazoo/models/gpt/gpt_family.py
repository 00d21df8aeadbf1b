"""The gpt family: the decoder-only Transformer (GPT-2's layout, as in nanoGPT).

The model and its cached decoding are in `gpt_model.py`, the builder in
`gpt_builders.py`, nanoGPT's configurations in `gpt_configs.py`; this family
object is a `CausalLMFamily` that also checks the window against the context.
"""

from kerazoo.models.causal_lm import CAUSAL_LM_FLAGS
from kerazoo.models.causal_lm import CausalLMFamily
from kerazoo.models.family import common_flags
from kerazoo.models.gpt.gpt_builders import build_gpt
from kerazoo.models.gpt.gpt_model import GPT
from kerazoo.models.gpt.gpt_configs import GPT_CONFIGS

# build_gpt's default context, for a run that does not set one.
DEFAULT_CONTEXT = 256


class GPTFamily(CausalLMFamily):
    name = "gpt"
    description = "A GPT: decoder-only Transformer character language model (nanoGPT's layout)."
    builders = {"gpt": build_gpt}
    model_classes = (GPT,)
    configs = GPT_CONFIGS
    flags = CAUSAL_LM_FLAGS + common_flags("num_layers", "num_heads", "hidden_dim", "max_sequence_length", "dropout")
    signatures = {**CausalLMFamily.signatures, "step": "decoding_steps"}

    def export_info(self, served):
        return {**super().export_info(served), "context_length": served.max_sequence_length}

    def check_config(self, config, explicit=None, config_training=None):
        super().check_config(config, explicit, config_training)
        context = config["model_kwargs"].get("max_sequence_length", DEFAULT_CONTEXT)
        if context is not None and config["seq_length"] > context:
            raise ValueError(
                f"`seq_length` must be <= the GPT's `max_sequence_length` ({context}). "
                f"Received: seq_length={config['seq_length']}"
            )


GPT_FAMILY = GPTFamily()
