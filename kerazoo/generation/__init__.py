from kerazoo.generation.decoding import generate_ids
from kerazoo.generation.decoding import rnn_step_fn
from kerazoo.generation.decoding import zero_state
from kerazoo.generation.sampling import MAX_GENERATE_LENGTH
from kerazoo.generation.sampling import check_sampling_args
from kerazoo.generation.sampling import sample_next
from kerazoo.generation.text import encode_prompts
from kerazoo.generation.text import generate_text
