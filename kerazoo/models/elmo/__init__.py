from kerazoo.models.elmo.elmo_bilm import ELMO_CHARACTER_FILTERS
from kerazoo.models.elmo.elmo_bilm import ElmoBiLM
from kerazoo.models.elmo.elmo_builders import build_elmo
from kerazoo.models.elmo.elmo_builders import build_elmo_embedder
from kerazoo.models.elmo.elmo_embedder import ElmoEmbedder
from kerazoo.models.elmo.elmo_configs import ELMO_CONFIGS
