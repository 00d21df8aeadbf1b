"""What a family exports and serves: its capabilities, SavedModel signatures and the object a SavedModel serves.

The exporter (`kerazoo.export`), the server and the commands that use a
trained model (`kerazoo generate`, `translate`, `embed`) ask these questions.
"""

import dataclasses
from typing import Callable

GENERATE = "generate"
TRANSLATE = "translate"
EMBED = "embed"
CAPABILITIES = (GENERATE, TRANSLATE, EMBED)


@dataclasses.dataclass(frozen=True)
class FamilyCommand:
    """A `kerazoo` command that a family adds for what only it does (the captioner's `kerazoo caption`).

    The CLI gives it the shared front: `--preset NAME`, `--source RUN_DIR`, `--checkpoint`, its
    positional `inputs` and its `options`; it loads the model, refuses one whose family lacks
    `capability`, and calls `run(model, vocabulary, inputs, **options)`, which returns the lines to print.
    A command with `inputs` None takes no positional inputs and gets `inputs=None`: an interactive
    command (the chat family's `kerazoo chat`) reads and writes as it goes and returns no lines.

    Attributes:
        name: str. The command.
        help: str.
        capability: str. What the family can do (one of its `capabilities`), e.g. "caption".
        does: str. The capability in words, for errors ("captions images").
        inputs: str or None. The positional arguments' name (one or more), or None for none.
        inputs_help: str or None.
        options: tuple of `Flag`.
        run: callable `(model, vocabulary, inputs, **options) -> list of str`.
    """

    name: str
    help: str
    capability: str
    does: str
    inputs: str
    inputs_help: str
    run: Callable
    options: tuple = ()


class ExportProtocol:
    """What a family exports and serves. A subclass sets the attributes and overrides what differs.

    Attributes:
        model_classes: tuple of the classes its builders return and that it
            exports, so that a trained model object finds its family.
        capabilities: tuple, a subset of `CAPABILITIES`.
        signatures: dict of SavedModel signature name -> registered builder name
            (`kerazoo.signatures`; a family registers its own in `<family>_export.py`).
        command_options: dict of command (`"embed"`) -> tuple of `Flag`: the
            options that command takes for this family's models.
        commands: tuple of `FamilyCommand`: commands of its own (`kerazoo caption`).
    """

    model_classes = ()
    capabilities = ()
    signatures = {}
    command_options = {}
    commands = ()

    def serves(self, model):
        """Whether `model` (a trained model or the object a SavedModel serves) is one of this family's."""
        return isinstance(model, self.model_classes)

    def serving_model(self, model, vocabulary):
        """What a SavedModel serves: the model itself, or e.g. an embedder around it."""
        return model

    def export_info(self, served):
        """Facts about the served model for `assets/kerazoo.json`: its Keras config by default."""
        return {"model_config": served.get_config()}

    def stream_characters(self, vocabulary):
        """The text of each id from 1 on, for a server that streams characters through `step`; None: no streaming."""
        return None

    def embed(self, model, vocabulary, texts, **options):
        """Embeds `texts` for `kerazoo embed`: one JSON-ready dict per text (families that embed)."""
        raise NotImplementedError(f"The {self.name} family does not embed text.")
