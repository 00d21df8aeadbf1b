"""What a family documents: the measure of a trained model's card, its size and an example.

`kerazoo evaluate`, the zoo's card generator and the leaderboard ask these questions.
"""


class ModelCardProtocol:
    """What a family documents. A subclass overrides what it has.

    Attributes:
        description: str. One line for `kerazoo list` and the docs.
    """

    description = ""

    def measure(self, model, vocabulary, spec, folder=None):
        """A held-out measure of a trained model, for its model card and `kerazoo evaluate`.

        Args:
            model, vocabulary: the trained model and its vocabulary.
            spec: dict. `{"kind": ..., "data": {...}}`, the measure the card names
                (e.g. `streamed_loss` on tiny_shakespeare's held-out split).
            folder: str or None. The preset folder, for a measure that reads a file of its own.

        Returns:
            dict with `value` (the figure the card compares) and any other figures.
        """
        raise ValueError(f"The {self.name} family has no measure {spec.get('kind')!r}.")

    def parameter_count(self, model):
        """What the model stores, for tables of models side by side: `{"count": int, "kind": str}`.

        The weights by default; a family that stores something else (an
        n-gram model: its n-gram counts) says what.
        """
        return {"count": model.count_params(), "kind": "weights"}

    def example(self, model, vocabulary):
        """What the model does, on one fixed input, for its model card: `{"input": ..., "output": ...}`."""
        return {}
