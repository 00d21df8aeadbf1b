"""N-gram language models of characters or words, trained by counting (the `ngram` family)."""

from kerazoo.models.ngram.ngram_counts import distinct_contexts
from kerazoo.models.ngram.ngram_model import NgramLM
from kerazoo.models.ngram.ngram_model import NgramTable
from kerazoo.models.ngram.ngram_model import build_ngram
