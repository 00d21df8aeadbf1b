import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Streamed word2vec corpora are encoded to token ids in a cache (`kerazoo.data.text_shards`); the tests keep theirs
# out of the home folder, in one temporary folder per test process (subprocesses inherit it).
if "KERAZOO_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["KERAZOO_CACHE_DIR"] = tempfile.mkdtemp(prefix="kerazoo-test-cache-")

import pytest


@pytest.fixture
def tiny_text_file(tmp_path):
    """A small corpus file: enough windows for a few training steps."""
    from tests.test_case import TINY_TEXT

    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT * 8, encoding="utf-8")
    return str(path)
