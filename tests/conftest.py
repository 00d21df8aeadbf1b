import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Streamed word2vec corpora are encoded to token ids in a cache (`kerazoo.data.text_shards`); the tests keep theirs
# out of the home folder, in one temporary folder per test run (xdist workers and subprocesses inherit it), which
# the process that made it removes when it exits.
if "KERAZOO_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["KERAZOO_CACHE_DIR"] = tempfile.mkdtemp(prefix="kerazoo-test-cache-")
    atexit.register(shutil.rmtree, os.environ["KERAZOO_CACHE_DIR"], ignore_errors=True)

# XLA compiles the JAX subset's models (tests/test_backends.py runs it in a subprocess, which inherits this) and the
# models that set `jit_compile=True` on TensorFlow. Its LLVM optimisation at level 0 compiles those tiny models in
# less than half the time (the JAX subset's four longest cases: 36 s against 83 s, 72 s against 185 s, alternated on
# 2026-12-07); XLA's CPU backend does not enable fast math, so the level changes no result.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")

import pytest


@pytest.fixture
def tiny_text_file(tmp_path):
    """A small corpus file: enough windows for a few training steps."""
    from tests.test_case import TINY_TEXT

    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT * 8, encoding="utf-8")
    return str(path)


# The modules that take longest go first. Each module runs on one worker (`--dist loadscope`), and a long one
# collected late (tests/test_backends.py sorts after tests/serving/) would leave the other worker idle at the end.
LONGEST_FIRST = ("tests/test_backends.py", "tests/models/test_zoo.py", "tests/models/word2vec/test_word2vec_training.py",
                 "tests/training/test_trainer.py", "tests/models/t5/test_t5.py", "tests/test_cli_families.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within a module, and of the other modules, is kept
