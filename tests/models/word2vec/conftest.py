"""word2vec's tests keep the encoded shards of their corpora in their own temporary folder, not in ~/.cache."""

import pytest


@pytest.fixture(autouse=True)
def _shard_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("KERAZOO_CACHE_DIR", str(tmp_path_factory.mktemp("kerazoo-cache")))
