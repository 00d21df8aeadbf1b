from kerazoo.models.hmm.hmm_model import HMMForwardCell
from kerazoo.models.hmm.hmm_model import HMMLanguageModel
from kerazoo.models.hmm.hmm_model import build_hmm
from kerazoo.models.hmm.hmm_configs import HMM_CONFIGS
