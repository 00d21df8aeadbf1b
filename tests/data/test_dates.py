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


def test_spelled_ordinals():
    from kerazoo.data.dates import spelled_ordinal

    words = {1: "first", 2: "second", 4: "fourth", 12: "twelfth", 20: "twentieth", 21: "twenty-first",
             22: "twenty-second", 25: "twenty-fifth", 30: "thirtieth", 31: "thirty-first"}
    assert {day: spelled_ordinal(day) for day in words} == words
    for day in (0, 32):
        with pytest.raises(ValueError, match=f"`day` must be a day of the month, 1 to 31. Received: day={day}"):
            spelled_ordinal(day)


def test_new_formats_write_the_issues_examples_and_no_old_format_writes_them():
    from kerazoo.data.dates import NEW_FORMATS

    fourth, christmas = datetime.date(1976, 7, 4), datetime.date(2024, 12, 25)
    written = {name: write(fourth) for name, write in NEW_FORMATS.items()}
    assert written["the spelled dth of month, yyyy"] == "the fourth of July, 1976"
    assert written["month spelled dth, yyyy"] == "July fourth, 1976"
    assert NEW_FORMATS["dd-mm-yyyy"](christmas) == "25-12-2024"
    assert NEW_FORMATS["d-m-yyyy (day first)"](fourth) == "4-7-1976"
    # None of them is a format of the training pairs, for any day of a year.
    days = [datetime.date(2001, 1, 1) + datetime.timedelta(days=k) for k in range(365)]
    old = {write(day) for day in days for write in FORMATS.values()}
    assert not old & {write(day) for day in days for write in NEW_FORMATS.values()}


def test_a_test_in_new_formats_keeps_the_training_pairs_and_writes_only_new_formats():
    from kerazoo.data.dates import NEW_FORMATS

    train, test = date_splits(train_size=400, test_size=200, seed=3)
    same_train, new_test = date_splits(train_size=400, test_size=200, seed=3, test_formats=NEW_FORMATS)
    assert same_train == train
    assert [target for _, target in new_test] == [target for _, target in test]  # the same held-out days
    for source, target in new_test:
        date = datetime.date.fromisoformat(target)
        assert source in {write(date) for write in NEW_FORMATS.values()}
        assert source not in {write(date) for write in FORMATS.values()}
    assert len({name for name, write in NEW_FORMATS.items() for source, target in new_test
                if write(datetime.date.fromisoformat(target)) == source}) == len(NEW_FORMATS)
    with pytest.raises(ValueError, match=r"`test_formats` must be a non-empty dict .* Received: test_formats=\{\}"):
        date_splits(10, 5, test_formats={})


def test_new_format_measures_score_each_format_on_its_own(monkeypatch):
    from kerazoo.models.seq2seq_lm import seq2seq_lm_tasks as tasks

    pairs = [("the fourth of July, 1976", "1976-07-04"), ("July fourth, 1976", "1976-07-04"),
             ("25-12-2024", "2024-12-25"), ("05-01-2000", "2000-01-05"), ("4-7-1976", "1976-07-04")]
    answers = ["1976-07-04", "1976-07-07", "2024-12-25", "2000-05-01", "1976-07-04"]
    monkeypatch.setattr(tasks, "translate_all", lambda model, vocabulary, sources, beam_width: answers)
    monkeypatch.setattr(tasks, "teacher_forced_loss", lambda model, vocabulary, pairs: 0.5)
    measures = tasks.SEQ2SEQ_TASKS["dates-new-formats"].measures(None, None, pairs, {"beam_width": 1})
    assert measures == {
        "test_exact_match": 3 / 5,
        "test_exact_match_per_format": {"the spelled dth of month, yyyy": 1.0, "month spelled dth, yyyy": 0.0,
                                        "dd-mm-yyyy": 0.5, "d-m-yyyy (day first)": 1.0},
        "test_loss": 0.5,
    }
