"""Every model `kerazoo train` can build, with its presets.

Language models (`BUILDERS`, `PRESETS`) train on character windows through
`kerazoo.training.train`; sequence-to-sequence models (`SEQ2SEQ_BUILDERS`,
`SEQ2SEQ_PRESETS`) train on pairs through `kerazoo.training.train_seq2seq`;
bidirectional word LMs (`BILM_BUILDERS`, `BILM_PRESETS`: ELMo) train through
`kerazoo.training.train_bilm`.
"""

from kerazoo.models.char_rnn import BUILDERS as CHAR_RNN_BUILDERS
from kerazoo.models.char_rnn import CHAR_RNN_PRESETS
from kerazoo.models.gpt import GPT_PRESETS
from kerazoo.models.gpt import build_gpt

BUILDERS = {**CHAR_RNN_BUILDERS, "gpt": build_gpt}
PRESETS = {**CHAR_RNN_PRESETS, **GPT_PRESETS}

from kerazoo.models.seq2seq import SEQ2SEQ_PRESETS  # noqa: E402,F401  (re-exported)
from kerazoo.models.seq2seq import build_seq2seq_lstm  # noqa: E402
from kerazoo.models.transformer import build_transformer  # noqa: E402

SEQ2SEQ_BUILDERS = {"transformer": build_transformer, "seq2seq_lstm": build_seq2seq_lstm}

from kerazoo.models.elmo import ELMO_PRESETS as BILM_PRESETS  # noqa: E402
from kerazoo.models.elmo import build_elmo  # noqa: E402

BILM_BUILDERS = {"elmo": build_elmo}
