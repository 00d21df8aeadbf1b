"""The base of the sequence-to-sequence families: `Seq2SeqFamily` and its SavedModel signatures.

`seq2seq_lm_family.py` holds what a run shares (pairs, a pair vocabulary,
teacher forcing, exact match); `seq2seq_lm_export.py` the signatures every
encoder-decoder exports (`serving_default`, `translate`).
"""

from kerazoo.models.seq2seq_lm.seq2seq_lm_family import SEQ2SEQ_DEFAULTS
from kerazoo.models.seq2seq_lm.seq2seq_lm_family import SEQ2SEQ_FLAGS
from kerazoo.models.seq2seq_lm.seq2seq_lm_family import Seq2SeqFamily
from kerazoo.models.seq2seq_lm.seq2seq_lm_family import exact_match
from kerazoo.models.seq2seq_lm.seq2seq_lm_family import load_pairs
