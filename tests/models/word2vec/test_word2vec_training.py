import importlib.util
import json
import os

import numpy as np
import pytest

from kerazoo.training import resolve_word2vec_config
from kerazoo.training import train_word2vec
from kerazoo.training import load_word2vec_run
from tests.test_backends import BLOCK_TENSORFLOW
from tests.test_case import run_python
from tests.test_case import run_tf_workers

GROUPS = [[letter + suffix for suffix in "vwxyz"] for letter in "abcd"]


def planted_corpus(path, sentences=1200, seed=0):
    """Sentences of words from one group each: a group's words share all their contexts."""
    rng = np.random.default_rng(seed)
    lines = [" ".join(rng.choice(GROUPS[rng.integers(4)], size=6)) for _ in range(sentences)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


SMALL = dict(min_count=1, sample=0, window=3, embedding_dim=16, batch_size=256, verbose=0, seed=1, step="keras")


@pytest.mark.parametrize("pipeline", ["tf", "numpy"])
def test_a_planted_structure_is_learned(tmp_path, pipeline):
    corpus = planted_corpus(tmp_path / "planted.txt")
    config = resolve_word2vec_config(corpus=corpus, epochs=4, pipeline=pipeline, **SMALL)
    _, vocabulary, vectors, metrics = train_word2vec(config)
    assert vocabulary.size == 20 and metrics["history"][-1]["loss"] < metrics["history"][0]["loss"]
    assert not metrics["terminated_on_nan"]
    for group in GROUPS:
        for word in group:
            nearest = [w for w, _ in vectors.most_similar(word, topn=4)]
            assert set(nearest) == set(group) - {word}, (word, nearest)


def test_training_writes_a_run_folder_that_reloads(tmp_path):
    corpus = planted_corpus(tmp_path / "planted.txt", sentences=300)
    config = resolve_word2vec_config(corpus=corpus, epochs=1, **SMALL)
    output = str(tmp_path / "run")
    _, _, vectors, _ = train_word2vec(config, output)
    # The run folder of every family (best checkpoint, history, TensorBoard logs), and word2vec's vectors.
    assert sorted(os.listdir(output)) == [
        "best.keras", "config.json", "history.csv", "logs", "metrics.json", "model.keras", "vectors.bin", "vocabulary.json"
    ]
    vocabulary, loaded = load_word2vec_run(output)
    np.testing.assert_array_equal(loaded.vectors, vectors.vectors)
    assert loaded.index_to_key == vocabulary.words
    with pytest.raises(ValueError, match="holds a trained model"):
        train_word2vec(config, output)


@pytest.mark.parametrize(
    "text,settings,message",
    [
        ("", {}, "empty"),
        ("... 123\n", {}, "no words"),
        ("to be or not to be\n", {"min_count": 5}, "`min_count`=5 removes every word"),
        ("be be be\nbe be\n", {"min_count": 1}, "negative sampling needs at least 2"),
        ("one\ntwo\nthree\n", {"min_count": 1}, "no skip-gram pairs"),
    ],
)
def test_bad_corpora_are_clear_errors(tmp_path, text, settings, message):
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    config = resolve_word2vec_config(corpus=str(path), **{**SMALL, **settings})
    with pytest.raises(ValueError, match=message):
        train_word2vec(config)


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"window": 0}, "Received: window=0"),
        ({"learning_rate": -1.0}, "Received: learning_rate=-1.0"),
        ({"sample": -0.1}, "Received: sample=-0.1"),
        ({"config": "fastest"}, "Received: config='fastest'"),
        ({"windows": 3}, "Unknown word2vec settings: \\['windows'\\]"),
    ],
)
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        resolve_word2vec_config(**settings)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
def test_training_on_jax_without_tensorflow(tmp_path):
    corpus = planted_corpus(tmp_path / "planted.txt", sentences=600)
    code = BLOCK_TENSORFLOW + f"""
import json
from kerazoo.training import resolve_word2vec_config, train_word2vec
config = resolve_word2vec_config(corpus={corpus!r}, epochs=3, **{SMALL!r})
_, _, vectors, metrics = train_word2vec(config, {str(tmp_path / 'run')!r})
assert metrics["backend"] == "jax", metrics
assert not any(name.startswith("tensorflow") for name in sys.modules)
print("RESULT" + json.dumps([w for w, _ in vectors.most_similar("av", topn=4)]))
"""
    process = run_python(code, env={"KERAS_BACKEND": "jax"})
    assert process.returncode == 0, process.stderr[-3000:]
    nearest = json.loads(process.stdout.split("RESULT")[1])
    assert set(nearest) == {"aw", "ax", "ay", "az"}


def test_a_diverging_run_stops_and_says_so(tmp_path):
    corpus = planted_corpus(tmp_path / "planted.txt", sentences=300)
    config = resolve_word2vec_config(corpus=corpus, epochs=3, **{**SMALL, "learning_rate": 1e6})
    _, _, _, metrics = train_word2vec(config)
    assert metrics["terminated_on_nan"]
    assert len(metrics["history"]) < 3 or not np.isfinite(metrics["history"][-1]["loss"])


@pytest.mark.parametrize("form", ["folder", "glob"])
def test_a_corpus_of_shards_streams_and_is_learned(tmp_path, form, capsys):
    folder = tmp_path / "shards"
    folder.mkdir()
    for k in range(3):
        planted_corpus(folder / f"part-{k}.txt", sentences=400, seed=k)
    corpus = str(folder) if form == "folder" else str(folder / "part-*.txt")
    config = resolve_word2vec_config(corpus=corpus, epochs=4, **{**SMALL, "verbose": 1})
    _, vocabulary, vectors, metrics = train_word2vec(config)
    assert metrics["streamed"] and metrics["shards"] == 3 and metrics["corpus_words"] == 3 * 400 * 6
    for group in GROUPS:
        nearest = [w for w, _ in vectors.most_similar(group[0], topn=4)]
        assert set(nearest) == set(group[1:]), (group[0], nearest)
    # The progress line counts corpus words, with their rate and the time left; each epoch closes
    # with a line that holds its loss, the loss metrics.json records.
    lines = [line for line in capsys.readouterr().out.replace("\r", "\n").splitlines() if line.startswith("epoch")]
    last = lines[-1]
    assert "epoch 4/4  100%" in last and "7.20k/7.20k words" in last and "words/s" in last and "ETA 0:00:00" in last
    assert f"loss {metrics['history'][-1]['loss']:.4f}" in last


@pytest.mark.parametrize(
    "corpus,message",
    [
        ("{tmp}/none-*.txt", "glob that matches no files. Received: corpus="),
        ("{tmp}/missing.txt", "no such file or folder. Received: corpus="),
    ],
)
def test_bad_corpus_names_are_clear_errors(tmp_path, corpus, message):
    config = resolve_word2vec_config(corpus=corpus.format(tmp=tmp_path), **SMALL)
    with pytest.raises(ValueError, match=message):
        train_word2vec(config)


def test_the_epoch_loss_is_accumulated_in_float64(tmp_path):
    import keras

    from kerazoo.models.word2vec.word2vec_family import WORD2VEC_FAMILY

    config = resolve_word2vec_config(corpus=planted_corpus(tmp_path / "planted.txt", sentences=100), **SMALL)
    data = WORD2VEC_FAMILY.prepare(config)
    model = WORD2VEC_FAMILY.compile(WORD2VEC_FAMILY.build(config, data), config, data)
    tracker = model._loss_tracker
    assert tracker.dtype == "float64"
    # An epoch of a 100M-word corpus: 60,000 batch losses weighted by 4,096 pairs each. The
    # weighted sum passes 2**24 early; a float32 running sum (Keras's default tracker, one
    # addition per batch) then rounds every addition, and drifts by about 1e-5.
    losses = 2.0 + np.random.default_rng(0).random(60_000)
    total = count = np.float32(0)
    for loss in losses:
        total, count = np.float32(total + np.float32(loss) * np.float32(4096)), np.float32(count + 4096)
    assert abs(total / count - losses.mean()) > 5e-6
    for chunk in np.split(losses, 60):
        tracker.update_state(chunk, sample_weight=np.full(len(chunk), 4096.0))
    assert abs(float(tracker.result()) - losses.mean()) < 1e-9


def test_multi_worker_needs_a_corpus_on_disk():
    with pytest.raises(ValueError, match="a named corpus is one tensor.*Received: corpus='shakespeare'"):
        resolve_word2vec_config(corpus="shakespeare", distribute="multi-worker")
    with pytest.raises(ValueError, match=r"`distribute` must be one of \['none', 'multi-worker'\]. Received: distribute='ring'"):
        resolve_word2vec_config(distribute="ring")


def test_a_worker_with_several_replicas_is_refused_before_the_corpus_is_read(tmp_path, monkeypatch):
    from kerazoo.models.registry import get_family
    from kerazoo.models.word2vec import word2vec_family

    corpus = tmp_path / "text.txt"
    corpus.write_text("to be or not to be\n", encoding="utf-8")
    monkeypatch.setattr(word2vec_family, "current_worker", lambda: (0, 2))
    monkeypatch.setattr(word2vec_family, "count_words", lambda *a: pytest.fail("the corpus was read"))
    family = get_family("word2vec")
    config = family.resolve_config(corpus=str(corpus), min_count=1, verbose=0)
    with pytest.raises(ValueError, match="one replica per worker; this cluster has 2 workers and 4 replicas"):
        family.prepare(config, replicas=4)


@pytest.mark.slow
def test_two_workers_each_stream_their_own_shards_and_end_alike(tmp_path):
    """Two `kerazoo train word2vec --distribute multi-worker` processes on localhost ports, as on two machines."""
    folder = tmp_path / "shards"
    folder.mkdir()
    for k in range(4):
        planted_corpus(folder / f"part-{k}.txt", sentences=300, seed=k)
    runs = run_tf_workers(
        ["word2vec", "--corpus", str(folder), "--min-count", "1", "--sample", "0", "--window", "3",
         "--embedding-dim", "16", "--batch-size", "128", "--epochs", "4", "--seed", "1", "--verbose", "0",
         "--step", "keras"], tmp_path)
    metrics = [json.load(open(os.path.join(run, "metrics.json"))) for run in runs]
    for m in metrics:
        assert m["replicas"] == 2 and m["workers"] == 2 and m["shards"] == 4 and m["worker_shards"] == 2
    # Both workers took the same steps, of half the corpus's pairs each...
    assert metrics[0]["steps"] == metrics[1]["steps"] == 4 * metrics[0]["steps_per_epoch"]
    # ...and the gradients were summed across them: one model, which learned the planted groups.
    vectors = [load_word2vec_run(run)[1] for run in runs]
    np.testing.assert_array_equal(vectors[0].vectors, vectors[1].vectors)
    for group in GROUPS:
        nearest = [w for w, _ in vectors[0].most_similar(group[0], topn=4)]
        assert set(nearest) == set(group[1:]), (group[0], nearest)


def test_a_corpus_on_disk_is_encoded_once_into_the_cache_dir_and_read_as_ids(tmp_path, monkeypatch):
    from kerazoo.data import text_shards

    corpus = planted_corpus(tmp_path / "planted.txt", sentences=300)
    # Written an hour before its encoding: its size and mtime alone tell it is unchanged (a file written
    # within 2 s of its encoding is hashed again, which reads it).
    os.utime(corpus, ns=(os.stat(corpus).st_atime_ns, os.stat(corpus).st_mtime_ns - 3600 * 10**9))
    cache = tmp_path / "ids"
    config = resolve_word2vec_config(corpus=corpus, epochs=1, cache_dir=str(cache), **SMALL)
    _, vocabulary, vectors, _ = train_word2vec(config)
    assert len(list(cache.glob("*.ids.npy"))) == 1
    # A second run over the unchanged file reads its ids, not its text.
    monkeypatch.setattr(text_shards, "read_shard", lambda *a: pytest.fail("the text was read"))
    _, again, vectors_again, _ = train_word2vec(config)
    assert again.words == vocabulary.words
    np.testing.assert_array_equal(vectors_again.vectors, vectors.vectors)
    with pytest.raises(ValueError, match="`cache_dir` must be a folder path or None. Received: cache_dir=3"):
        resolve_word2vec_config(corpus=corpus, cache_dir=3, **SMALL)
