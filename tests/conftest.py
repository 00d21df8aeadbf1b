import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest


@pytest.fixture
def tiny_text_file(tmp_path):
    """A small corpus file: enough windows for a few training steps."""
    from tests.test_case import TINY_TEXT

    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT * 8, encoding="utf-8")
    return str(path)
