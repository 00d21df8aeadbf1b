"""Every vocabulary class of kerazoo by name, so a saved vocabulary loads without knowing its model's family."""

import json

from kerazoo.data.seq2seq import PairVocabulary
from kerazoo.data.vocabulary import CharVocabulary


def _vocabularies():
    # The word2vec and ELMo vocabularies now live in their family folders, which import
    # `kerazoo.models.presets`, the caller of this module: imported at call time, not at import.
    from kerazoo.models.elmo.elmo_vocabulary import BilmVocabulary
    from kerazoo.models.word2vec.word2vec_vocabulary import WordVocabulary

    return {cls.__name__: cls for cls in (CharVocabulary, PairVocabulary, WordVocabulary, BilmVocabulary)}


# The keys each class writes, to recognise a file whose class is not recorded.
_KEYS = {"CharVocabulary": "characters", "PairVocabulary": "source", "WordVocabulary": "counts",
         "BilmVocabulary": "special_tokens"}


def load_vocabulary(class_name, path):
    """Loads the vocabulary at `path`, of class `class_name` (recognised from the file's keys when None)."""
    if class_name is None:
        with open(path, encoding="utf-8") as f:
            keys = set(json.load(f))
        class_name = next((name for name, key in _KEYS.items() if key in keys), None)
    vocabularies = _vocabularies()
    if class_name not in vocabularies:
        raise ValueError(
            f"`class_name` must be one of {sorted(vocabularies)}. Received: class_name={class_name!r} for {path!r}"
        )
    return vocabularies[class_name].load(path)
