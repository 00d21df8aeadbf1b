import json
import os

import numpy as np

from kerazoo.cli import main
from kerazoo.training import load_word2vec_run
from tests.models.word2vec.test_word2vec_training import planted_corpus
from tests.test_case import run_python

# Runs in a fresh interpreter that never imports kerazoo, as a server would.
SERVE = r"""
import json, sys
import tensorflow as tf

loaded = tf.saved_model.load(sys.argv[1])
out = {"signatures": sorted(loaded.signatures.keys())}
embedded = loaded.signatures["embed"](words=tf.constant(["av", "nosuchword", "dz"]))
out["vectors"] = embedded["vectors"].numpy().tolist()
out["known"] = embedded["known"].numpy().tolist()
similar = loaded.signatures["most_similar"](word=tf.constant("av"), topn=tf.constant(4))
out["words"] = [w.decode("utf-8") for w in similar["words"].numpy()]
out["scores"] = similar["scores"].numpy().tolist()
errors = {}
for name, word, topn in (("unknown_word", "nosuchword", 3), ("topn_zero", "av", 0), ("topn_too_large", "av", 99)):
    try:
        loaded.signatures["most_similar"](word=tf.constant(word), topn=tf.constant(topn))
        errors[name] = None
    except tf.errors.InvalidArgumentError as error:
        errors[name] = error.message
out["errors"] = errors
out["kerazoo_imported"] = any(name.startswith("kerazoo") for name in sys.modules)
print("RESULT" + json.dumps(out))
"""


def test_train_export_and_serve_with_plain_tensorflow(tmp_path, capsys):
    corpus = planted_corpus(tmp_path / "planted.txt", sentences=600)
    run = str(tmp_path / "run")
    code = main([
        "train", "word2vec", "--corpus", corpus, "--output", run, "--epochs", "3", "--min-count", "1",
        "--sample", "0", "--window", "3", "--embedding-dim", "8", "--verbose", "0", "--workers", "1",
    ])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["run_dir"] == run and summary["vocabulary_size"] == 20

    base = str(tmp_path / "saved_models")
    # The final checkpoint, the one vectors.bin and `load_word2vec_run` hold (the best by training loss
    # can be an earlier epoch's on a corpus this small).
    assert main(["export", run, "--name", "words", "--base-dir", base, "--checkpoint", "final"]) == 0
    path = capsys.readouterr().out.strip()
    assert path == os.path.join(base, "words", "1")
    with open(os.path.join(path, "assets", "vocabulary.txt")) as f:
        assert len(f.read().split()) == 20

    process = run_python(SERVE.replace("sys.argv[1]", repr(path)), env={"PYTHONPATH": ""})
    assert process.returncode == 0, process.stderr[-3000:]
    out = json.loads(process.stdout.split("RESULT")[1])
    assert out["signatures"] == ["embed", "most_similar"] and not out["kerazoo_imported"]

    _, vectors = load_word2vec_run(run)
    np.testing.assert_allclose(out["vectors"][0], vectors["av"], rtol=1e-6)
    np.testing.assert_array_equal(out["vectors"][1], np.zeros(8))  # out of vocabulary
    assert out["known"] == [True, False, True]
    expected = vectors.most_similar("av", topn=4)
    assert out["words"] == [w for w, _ in expected]
    np.testing.assert_allclose(out["scores"], [s for _, s in expected], atol=1e-5)
    assert "`word` is not in the vocabulary. Received: word=] [nosuchword]" in out["errors"]["unknown_word"]
    assert "`topn` must be in [1, 19]" in out["errors"]["topn_zero"]
    assert "Received: topn=] [99]" in out["errors"]["topn_too_large"]


def test_cli_word2vec_errors_are_one_clear_line(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert main(["train", "word2vec", "--corpus", str(empty), "--output", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "no words" in err and "Traceback" not in err
    assert main(["train", "word2vec", "--preset", "char-rnn"]) == 2
    assert "Received: config='char-rnn'" in capsys.readouterr().err


def test_list_shows_word2vec_and_its_presets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "word2vec" in out and "[word2vec]" in out and "gensim" in out and "fast" in out
