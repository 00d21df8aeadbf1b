from kerazoo.models.gpt.gpt_builders import build_gpt
from kerazoo.models.gpt.gpt_model import GPT
from kerazoo.models.gpt.gpt_presets import GPT_PRESETS
