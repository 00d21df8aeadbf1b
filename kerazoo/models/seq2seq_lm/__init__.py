"""The base of the sequence-to-sequence families: `Seq2SeqFamily` and its SavedModel signatures.

`seq2seq_lm_family.py` holds what a run shares (a pair vocabulary, teacher
forcing); `seq2seq_lm_tasks.py` the tasks and their measures (dates,
punctuation restoration, TSV files; exact match, the marks' F1, held-out
loss); `seq2seq_lm_transfer.py` fine-tuning from a trained model
(`init_from`); `seq2seq_lm_export.py` the signatures every encoder-decoder
exports (`serving_default`, `translate`).
"""

from kerazoo.models.seq2seq_lm.seq2seq_lm_family import SEQ2SEQ_DEFAULTS
from kerazoo.models.seq2seq_lm.seq2seq_lm_family import SEQ2SEQ_FLAGS
from kerazoo.models.seq2seq_lm.seq2seq_lm_family import Seq2SeqFamily
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import SEQ2SEQ_TASKS
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import exact_match
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import load_pairs
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import teacher_forced_loss
