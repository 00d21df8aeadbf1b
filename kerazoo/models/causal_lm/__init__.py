"""The base of the character language-model families: `CausalLMFamily` and its SavedModel signatures.

`causal_lm_family.py` holds what a run shares (corpus, vocabulary, windows,
bits/char); `causal_lm_export.py` the signatures every model of the decoding
protocol exports (`serving_default`, `generate`, `step`).
"""

from kerazoo.models.causal_lm.causal_lm_family import CAUSAL_LM_DEFAULTS
from kerazoo.models.causal_lm.causal_lm_family import CAUSAL_LM_FLAGS
from kerazoo.models.causal_lm.causal_lm_family import BitsPerCharacter
from kerazoo.models.causal_lm.causal_lm_family import CausalLMFamily
from kerazoo.models.causal_lm.causal_lm_family import compile_language_model
from kerazoo.models.causal_lm.causal_lm_family import heldout_text
from kerazoo.models.causal_lm.causal_lm_family import resolve_clipping
from kerazoo.models.causal_lm.causal_lm_family import windowed_loss
