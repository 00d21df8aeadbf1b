"""Training: one runner for every family's run folder (`kerazoo.training.runner`).

`resolve_config(model=..., config=...)` makes a run configuration for any
family and `train(config, output)` trains it; the per-family names below are
thin wrappers kept for the code that calls them.
"""

from kerazoo.models.registry import resolve_config
from kerazoo.training.runner import load_checkpoint
from kerazoo.training.runner import load_run
from kerazoo.training.runner import run_model_name
from kerazoo.training.runner import train
from kerazoo.training.wrappers import build_model
from kerazoo.training.wrappers import compile_model
from kerazoo.training.wrappers import load_bilm_run
from kerazoo.training.wrappers import load_seq2seq_run
from kerazoo.training.wrappers import load_served_run
from kerazoo.training.wrappers import load_word2vec_run
from kerazoo.training.wrappers import resolve_bilm_config
from kerazoo.training.wrappers import resolve_seq2seq_config
from kerazoo.training.wrappers import resolve_word2vec_config
from kerazoo.training.wrappers import train_bilm
from kerazoo.training.wrappers import train_seq2seq
from kerazoo.training.wrappers import train_served
from kerazoo.training.wrappers import train_word2vec
