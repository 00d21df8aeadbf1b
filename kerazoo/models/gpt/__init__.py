from kerazoo.models.gpt.gpt_builders import build_gpt
from kerazoo.models.gpt.gpt_model import GPT
from kerazoo.models.gpt.gpt_configs import GPT_CONFIGS
