from kerazoo.models.t5.t5_configs import T5_CONFIGS
from kerazoo.models.t5.t5_family import T5_FAMILY
