"""Every language model `kerazoo train` can build from character windows, with its presets."""

from kerazoo.models.char_rnn import BUILDERS as CHAR_RNN_BUILDERS
from kerazoo.models.char_rnn import CHAR_RNN_PRESETS
from kerazoo.models.gpt import GPT_PRESETS
from kerazoo.models.gpt import build_gpt

BUILDERS = {**CHAR_RNN_BUILDERS, "gpt": build_gpt}
PRESETS = {**CHAR_RNN_PRESETS, **GPT_PRESETS}
