from kerazoo.training.metrics import BitsPerCharacter
from kerazoo.training.trainer import TRAINING_DEFAULTS
from kerazoo.training.trainer import load_run
from kerazoo.training.trainer import resolve_config
from kerazoo.training.trainer import train
from kerazoo.training.evaluation import streaming_loss
