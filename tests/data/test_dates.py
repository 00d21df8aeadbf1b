import datetime

import numpy as np
import pytest

from kerazoo.data.dates import FORMATS
from kerazoo.data.dates import date_splits
from kerazoo.data.seq2seq import END
from kerazoo.data.seq2seq import PairVocabulary


def test_test_days_never_occur_in_training():
    train, test = date_splits(train_size=3000, test_size=300, seed=1)
    assert len(train) == 3000 and len(test) == 300
    assert not {t for _, t in train} & {t for _, t in test}


def test_every_format_writes_the_same_day_the_target_names():
    day = datetime.date(1969, 7, 20)
    for name, write in FORMATS.items():
        text = write(day)
        assert ("1969" in text) and ("20" in text), name
    assert FORMATS["the dth of month, yyyy"](datetime.date(2001, 1, 1)) == "the 1st of January, 2001"
    assert FORMATS["dth month yyyy"](datetime.date(2012, 3, 13)) == "13th March 2012"


def test_pair_vocabulary_round_trip(tmp_path):
    pairs = [("3 March 1998", "1998-03-03"), ("1/2/2003", "2003-01-02")]
    vocabulary = PairVocabulary.from_pairs(pairs)
    x, y = vocabulary.encode_pairs(pairs)
    assert x["decoder_token_ids"][0, 0] == vocabulary.start_id
    assert y[0, 10] == vocabulary.end_id and np.all(y[0, 11:] == 0)
    assert vocabulary.decode_target(y[0]) == "1998-03-03"
    vocabulary.save(str(tmp_path / "v.json"))
    again = PairVocabulary.load(str(tmp_path / "v.json"))
    assert again.target.characters == vocabulary.target.characters and END in again.target.characters


def test_bad_sizes():
    with pytest.raises(ValueError, match="test_size=0"):
        date_splits(10, 0)
    with pytest.raises(ValueError, match="pairs=\\[\\]"):
        PairVocabulary.from_pairs([])
