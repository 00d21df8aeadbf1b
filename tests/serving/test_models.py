"""The model manager's versions, without TensorFlow: a stand-in loader and what other threads may see."""

import os

from kerazoo.serving import models
from kerazoo.serving.models import ModelManager


class Loaded:
    def __init__(self, name, version, path):
        self.name, self.version, self.path = name, version, path


def test_a_new_version_is_available_in_the_status_before_it_serves(tmp_path, monkeypatch):
    """Requests run on other threads than the scan: at the moment a version starts serving, its status and the
    old one's must already say so."""
    seen = []

    class Recording(models.Model):
        @property
        def serving(self):
            return self._serving

        @serving.setter
        def serving(self, servable):
            if servable is not None:
                seen.append((servable.version, {v: s["state"] for v, s in self.statuses.items()}))
            self._serving = servable

    monkeypatch.setattr(models, "Model", Recording)
    os.makedirs(tmp_path / "m" / "1")
    manager = ModelManager(str(tmp_path), loader=Loaded)
    assert manager.scan() == ["m"]
    os.makedirs(tmp_path / "m" / "2")
    assert manager.scan() == ["m"]
    assert seen == [(1, {1: "AVAILABLE"}), (2, {1: "END", 2: "AVAILABLE"})]
    assert manager.get("m").version == 2
    assert [(s["version"], s["state"]) for s in manager.status("m")["model_version_status"]] == [
        ("2", "AVAILABLE"), ("1", "END")]
