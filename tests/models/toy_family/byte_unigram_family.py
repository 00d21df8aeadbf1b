"""A family defined outside kerazoo with its own vocabulary type and its own signature (the test of the protocol)."""

import keras
import numpy as np

from kerazoo.models.family import Family
from kerazoo.models.flags import common_flags
from kerazoo.models.training_protocol import RunData
from tests.models.toy_family import byte_unigram_export  # noqa: F401  (registers `byte_unigram_score`)
from tests.models.toy_family.byte_unigram_model import ByteUnigram
from tests.models.toy_family.byte_unigram_model import build_byte_unigram
from tests.models.toy_family.byte_unigram_vocabulary import ByteVocabulary


class ByteUnigramFamily(Family):
    name = "byte_unigram"
    description = "A unigram model of bytes (a family defined in the tests)."
    builders = {"byte_unigram": build_byte_unigram}
    model_classes = (ByteUnigram,)
    defaults = {"corpus": None, "epochs": 3, "batch_size": 8, "seq_length": 16, "learning_rate": 0.1, "seed": 0,
                "verbose": 0}
    flags = common_flags("corpus", "epochs", "batch_size", "seq_length", "learning_rate", "seed", "verbose")
    vocabulary_class = ByteVocabulary
    signatures = {"score": "byte_unigram_score"}
    units = "bytes"

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        vocabulary = vocabulary or ByteVocabulary()
        with open(config["corpus"], encoding="utf-8") as f:
            ids = vocabulary.encode(f.read())
        windows = ids[: len(ids) // config["seq_length"] * config["seq_length"]].reshape(-1, config["seq_length"])
        split = max(1, len(windows) // 10)
        return RunData(vocabulary=vocabulary, train=(windows[split:], windows[split:]),
                       validation=(windows[:split], windows[:split]), units_per_step=windows.shape[1] * 8,
                       facts={"bytes": int(ids.size)})

    def compile(self, model, config, data):
        keras.utils.set_random_seed(config["seed"])
        model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    def build_input(self, config):
        return np.zeros((1, config["seq_length"]), "int32")
