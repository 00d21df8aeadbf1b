"""Writes tests/export/before_refactor/: tiny models of five families, saved as .keras with their
vocabularies, and each exported as a SavedModel by the code of commit d3e42d9 (before the family-folder refactor)."""
import json, os, shutil, sys
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)
import keras, numpy as np
from tests.backend_cases import get_case, make_model
from kerazoo.export import export_saved_model
from kerazoo.models.registry import get_family

out = os.path.join(ROOT, "tests", "export", "before_refactor")
shutil.rmtree(out, ignore_errors=True); os.makedirs(out)
for name, family in [("gpt", "gpt"), ("lstm", "char_rnn"), ("transformer", "transformer"), ("elmo", "elmo"), ("word2vec", "word2vec")]:
    case = get_case(name)
    model, vocabulary = make_model(case, seed=3)
    if name == "word2vec":
        from kerazoo.models.word2vec.word2vec_vocabulary import WordVocabulary  # kerazoo.data.words at d3e42d9
        words = "the king and a queen of one night love my sword day".split()
        vocabulary = WordVocabulary.from_sentences([words], min_count=1)
        assert vocabulary.size == 12, vocabulary.size
    folder = os.path.join(out, name)
    os.makedirs(folder)
    model.save(os.path.join(folder, "model.keras"))
    if vocabulary is not None:
        vocabulary.save(os.path.join(folder, "vocabulary.json"))
    path = export_saved_model(model, vocabulary, "saved_model", base_dir=folder, family=get_family(family))
    print(name, path)
