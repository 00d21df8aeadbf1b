import pytest

from kerazoo.training import resolve_seq2seq_config
from kerazoo.models.seq2seq_lm import load_pairs


def test_a_tsv_task_splits_into_train_and_test(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{i} apples\t{i}\n" for i in range(40)), encoding="utf-8")
    config = resolve_seq2seq_config(preset="dates-lstm", task=str(path))
    train, test = load_pairs(config)
    assert len(train) == 36 and len(test) == 4
    assert not set(train) & set(test) and ("7 apples", "7") in train + test


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"config": "nope"}, "`config` must be one of"),
        ({"config": "dates-lstm", "model": "transformer"}, "is a seq2seq_lstm model"),
        ({"model": "gru"}, "`model` must be one of"),
        ({"beam_width": 0}, "beam_width=0"),
        ({"sequence_length": 5}, "Unknown training settings"),
    ],
)
def test_bad_settings_name_the_setting(kwargs, message):
    with pytest.raises(ValueError, match=message):
        resolve_seq2seq_config(**kwargs)


def test_a_missing_task_file_is_named(tmp_path):
    config = resolve_seq2seq_config(task=str(tmp_path / "missing.tsv"))
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        load_pairs(config)
