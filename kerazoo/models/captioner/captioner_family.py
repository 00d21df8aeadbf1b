"""The captioner family: images to words with visual attention, on the shapes scenes (`captioner_data`).

A run draws (or reads from its tfds cache) the `shapes_scenes` splits, trains
with teacher forcing on one caption per image per epoch, and scores the best
checkpoint on both test splits: BLEU-4, content accuracy and attention
pointing (`captioner_evaluation`).
"""

import time

from kerazoo import optimizers
from kerazoo.models import family
from kerazoo.models.captioner import captioner_export  # noqa: F401  (registers its signature builders)
from kerazoo.models.captioner.captioner_builders import build_caption_transformer
from kerazoo.models.captioner.captioner_builders import build_captioner
from kerazoo.models.captioner.captioner_configs import CAPTIONER_CONFIGS
from kerazoo.models.captioner.captioner_model import CaptionTransformer
from kerazoo.models.captioner.captioner_model import ShowAttendTell
from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary
from kerazoo.models.export_protocol import FamilyCommand
from kerazoo.models.family import Family
from kerazoo.models.family import Flag
from kerazoo.models.family import RunData
from kerazoo.models.family import common_flags
from kerazoo.models.family import non_negative_float
from kerazoo.models.family import positive_int
from kerazoo.models.flags import positive_float

CAPTION = "caption"


def caption_files(model, vocabulary, paths, beam_width=1, attention=None):
    """`kerazoo caption`: one line per image file, its caption (with `--attention`, JSON with the maps)."""
    import json

    from kerazoo.models.captioner.captioner_data import read_images
    from kerazoo.models.captioner.captioner_evaluation import attention_for
    from kerazoo.models.captioner.captioner_evaluation import caption

    images = read_images(paths, model.image_size)
    captions = caption(model, vocabulary, images, beam_width=beam_width)
    if not attention:
        return captions
    maps = attention_for(model, vocabulary, images, [c or "" for c in captions]) if all(captions) else None
    return [json.dumps({"file": path, "caption": text,
                        "attention": None if maps is None else [m.round(4).tolist() for m in maps[i]]})
            for i, (path, text) in enumerate(zip(paths, captions))]

CAPTIONER_DEFAULTS = {
    "train_size": 20_000,  # training scenes of the shapes_scenes builder (each with up to 5 captions)
    "validation_size": 1_000,
    "test_size": 1_000,  # random test scenes
    "compositional_size": 1_000,  # test scenes holding a colour-shape pair never seen in training
    "data_seed": 0,  # the scenes' seed: the builder config
    "data_dir": None,  # the tfds data folder (None: tfds's default, ~/tensorflow_datasets)
    "epochs": 30,
    "batch_size": 64,
    "optimizer": "adam",
    "learning_rate": None,
    "decay_epochs": None,  # cosine decay of the rate over this many epochs, then held at final_learning_rate
    "final_learning_rate": None,  # where the decay ends (None: a twentieth of the base rate)
    "clipnorm": 1.0,
    "seed": 0,
    "beam_width": 1,  # test decoding: 1 is greedy search
    "max_minutes": None,
    "verbose": 1,
}


class CaptionerFamily(Family):
    name = "captioner"
    description = "Images to words: a convolutional grid encoder and an attentive LSTM or Transformer decoder."
    builders = {"captioner": build_captioner, "caption_transformer": build_caption_transformer}
    model_classes = (ShowAttendTell, CaptionTransformer)
    configs = CAPTIONER_CONFIGS
    defaults = CAPTIONER_DEFAULTS
    default_config = None
    capabilities = (CAPTION,)
    commands = (FamilyCommand(
        "caption", "caption images (PNG or JPEG files) with a captioner", CAPTION, "captions images", "images",
        "PNG or JPEG files", caption_files,
        (Flag("beam_width", positive_int, help="1 is greedy (default)"),
         Flag("attention", switch=True, help="print JSON lines with each word's attention over the grid")),
    ),)
    signatures = {"serving_default": "caption_logits", "caption": "caption_greedy", "caption_beam": "caption_beam"}
    identity = ("family", "model", "model_kwargs", "train_size", "data_seed")
    units = "captions"
    vocabulary_class = CaptionVocabulary
    summary_keys = ("test_content_accuracy", "test_bleu4", "compositional_content_accuracy", "best_val_loss",
                    "wall_s", "parameters")
    flags = common_flags("epochs", "batch_size", "optimizer", "learning_rate", "clipnorm", "seed", "max_minutes",
                         "verbose") + (
        Flag("train_size", positive_int),
        Flag("validation_size", positive_int),
        Flag("test_size", positive_int),
        Flag("compositional_size", positive_int),
        Flag("data_seed", int, help="the scenes' seed"),
        Flag("data_dir", help="the tfds data folder"),
        Flag("beam_width", positive_int, help="test-set decoding; 1 is greedy"),
        Flag("decay_epochs", positive_int, help="decay the rate (cosine) over this many epochs, then hold it"),
        Flag("final_learning_rate", positive_float, help="the rate the decay ends at (default: base / 20)"),
        Flag("attention_penalty", non_negative_float, target="model",
             help="captioner: weight of the doubly stochastic attention penalty"),
    )

    def flags_for(self, model):
        """The attention penalty is the LSTM decoder's: the Transformer variant takes no such argument."""
        if model == "captioner":
            return self.flags
        return tuple(flag for flag in self.flags if flag.key != "attention_penalty")

    def check_config(self, config, explicit=None, config_training=None):
        family.check_integers(config, ("epochs", "batch_size", "train_size", "validation_size", "test_size",
                                       "compositional_size", "beam_width"))
        family.check_integers(config, ("decay_epochs",), allow_none=True)
        family.check_integers(config, ("data_seed",), minimum=0)
        family.check_optimizer(config["optimizer"])
        family.check_positive(config, ("learning_rate", "clipnorm", "final_learning_rate"), allow_none=True)
        family.check_time_budget(config)

    def splits(self, config):
        """The run's scenes: {split: list of scenes}."""
        from kerazoo.models.captioner.captioner_data import SPLITS
        from kerazoo.models.captioner.captioner_data import load_split
        from kerazoo.models.captioner.captioner_data import shapes_builder

        sizes = {"train": config["train_size"], "validation": config["validation_size"],
                 "test": config["test_size"], "compositional": config["compositional_size"]}
        builder = shapes_builder(sizes, seed=config["data_seed"], data_dir=config["data_dir"])
        return {split: load_split(builder, split) for split in SPLITS}

    def prepare(self, config, vocabulary=None, initial_epoch=0, replicas=1, corpus=None):
        import numpy as np

        from kerazoo.models.captioner.captioner_data import evaluation_arrays
        from kerazoo.models.captioner.captioner_data import training_dataset

        splits = corpus or self.splits(config)
        vocabulary = vocabulary or CaptionVocabulary.from_grammar()
        longest = max(len(c.split()) for s in splits["train"] for c in s["captions"])
        length = longest + 1
        train = splits["train"]
        batch = config["batch_size"] * replicas
        dataset = training_dataset(np.stack([s["image"] for s in train]), [s["captions"] for s in train],
                                   vocabulary, length, batch, config["seed"], initial_epoch)
        return RunData(
            vocabulary=vocabulary,
            train=dataset,
            validation=evaluation_arrays(splits["validation"], vocabulary, length),
            steps_per_epoch=max(1, len(train) // batch),
            units_per_step=batch,
            facts={f"{split}_scenes": len(scenes) for split, scenes in splits.items()},
            extra={"splits": splits, "longest_caption": longest},
        )

    def build(self, config, data):
        kwargs = dict(config["model_kwargs"])
        kwargs.setdefault("max_sequence_length", data.extra["longest_caption"] + 2)
        if kwargs["max_sequence_length"] < data.extra["longest_caption"] + 2:
            raise ValueError(
                f"`max_sequence_length` must hold the longest caption with its start and end tokens "
                f"({data.extra['longest_caption'] + 2}). Received: max_sequence_length={kwargs['max_sequence_length']}"
            )
        return self.builders[config["model"]](data.vocabulary.size, **kwargs)

    def build_input(self, config):
        import numpy as np

        size = config["model_kwargs"].get("image_size", 64)
        return {"images": np.zeros((1, size, size, 3), np.float32), "decoder_token_ids": np.ones((1, 2), np.int32)}

    def learning_rate(self, config, steps_per_epoch):
        """The run's rate: the config's (or the recipe's) base, constant, or with `decay_epochs` a cosine from
        the base to `final_learning_rate` over that many epochs, held there afterwards.

        A decay shorter than the run finishes even when `max_minutes` stops the run before its last epoch.
        """
        base = config["learning_rate"]
        if config["decay_epochs"] is None:
            return base
        if base is None:
            base = optimizers.get_recipe(config["optimizer"]).defaults["learning_rate"]
        final = base / 20 if config["final_learning_rate"] is None else config["final_learning_rate"]
        if final > base:
            raise ValueError(f"`final_learning_rate` must be at most the learning rate ({base}). "
                             f"Received: final_learning_rate={final}")
        return optimizers.get_schedule("warmup_cosine", learning_rate=base, warmup_steps=0,
                                       total_steps=config["decay_epochs"] * steps_per_epoch, alpha=final / base)

    def compile(self, model, config, data):
        import keras

        rate = self.learning_rate(config, data.steps_per_epoch)
        # `decay_epochs` gives a schedule that replaces the recipe's own.
        model.compile(
            optimizer=family.recipe_optimizer(config, data.steps_per_epoch, learning_rate=rate,
                                              global_clipnorm=config["clipnorm"]),
            loss=family.sparse_logits_loss(ignore_class=0),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )
        return model

    def evaluate(self, model, data, config):
        from kerazoo.models.captioner.captioner_evaluation import measure

        start = time.monotonic()
        results = {"beam_width": config["beam_width"]}
        for split in ("test", "compositional"):
            measured = measure(model, data.vocabulary, data.extra["splits"][split], config["beam_width"])
            for key in ("bleu4", "content_accuracy", "attention_pointing"):
                results[f"{split}_{key}"] = measured[key]
        results["test_decode_s"] = round(time.monotonic() - start, 2)
        return results

    # --- Model cards ---

    def measure(self, model, vocabulary, spec, folder=None):
        """`content_accuracy` (BLEU-4 and attention pointing beside it) on the first `scenes` scenes of a split.

        `spec["data"]`: `split` ("test" or "compositional"), `scenes`, `seed` (the data seed, 0) and
        `beam_width` (1). The scenes are drawn as the `shapes_scenes` builder draws them.
        """
        if spec["kind"] != "content_accuracy":
            return super().measure(model, vocabulary, spec, folder)
        from kerazoo.models.captioner import captioner_scenes as scenes
        from kerazoo.models.captioner.captioner_evaluation import measure

        data = spec["data"]
        chosen = scenes.make_scenes(data.get("scenes", 1000), data.get("seed", 0), data.get("split", "test"))
        measured = measure(model, vocabulary, chosen, data.get("beam_width", 1))
        return {"value": measured["content_accuracy"], "bleu4": measured["bleu4"],
                "attention_pointing": measured["attention_pointing"], "scenes": measured["scenes"]}

    def example(self, model, vocabulary):
        from kerazoo.models.captioner import captioner_scenes as scenes
        from kerazoo.models.captioner.captioner_evaluation import caption

        scene = scenes.make_scenes(1, seed=2024, split="test")[0]
        return {"input": scene["captions"][0] + " (a generated test scene, seed 2024)",
                "output": caption(model, vocabulary, scene["image"])[0]}


CAPTIONER_FAMILY = CaptionerFamily()
