"""The shapes scenes as a tensorflow-datasets builder, built offline, and the captioner's tf.data pipeline.

`shapes_scenes` draws its scenes with `captioner_scenes` (NumPy, deterministic
from the config's seed), so `download_and_prepare()` needs no network. Splits:
`train`, `validation`, `test` (random scenes from the same colour-shape pairs)
and `compositional` (every scene holds a colour-shape pair that no other split
holds, `captioner_scenes.HELD_OUT_PAIRS`). Each example: the 64x64 RGB image,
its captions (`captioner_scenes.CAPTIONS_PER_SCENE`, fewer when the grammar
has fewer), its objects (shape, colour, size, pixel box) and the relation of
every ordered pair of objects.

TensorFlow is imported inside functions, so importing kerazoo never imports it.
"""

import dataclasses
import functools

import numpy as np

from kerazoo.models.captioner import captioner_scenes as scenes

SPLITS = ("train", "validation", "test", "compositional")
# The `shapes-captioner` preset's data: scenes per split.
DEFAULT_SIZES = {"train": 20_000, "validation": 1_000, "test": 1_000, "compositional": 1_000}


@functools.lru_cache(maxsize=1)
def _builder_class():
    import tensorflow_datasets as tfds

    @dataclasses.dataclass
    class ShapesConfig(tfds.core.BuilderConfig):
        sizes: dict = dataclasses.field(default_factory=lambda: dict(DEFAULT_SIZES))
        seed: int = 0

    class ShapesScenes(tfds.core.GeneratorBasedBuilder):
        """Scenes of 1 to 3 coloured shapes with captions, boxes and relations, drawn offline."""

        VERSION = tfds.core.Version("1.0.0")
        RELEASE_NOTES = {"1.0.0": "5 shapes, 6 colours, 2 sizes; a compositional split of held-out colour-shape pairs."}
        BUILDER_CONFIG_CLASS = ShapesConfig
        BUILDER_CONFIGS = [ShapesConfig(name="default", description="20,000 training scenes, seed 0.")]

        def _info(self):
            obj = tfds.features.FeaturesDict({
                "shape": tfds.features.ClassLabel(names=list(scenes.SHAPES)),
                "colour": tfds.features.ClassLabel(names=list(scenes.COLOURS)),
                "size": tfds.features.ClassLabel(names=list(scenes.SIZES)),
                "box": tfds.features.Tensor(shape=(4,), dtype=np.int32),
            })
            relation = tfds.features.FeaturesDict({
                "subject": np.int32, "relation": tfds.features.ClassLabel(names=list(scenes.RELATIONS)),
                "object": np.int32,
            })
            size = scenes.IMAGE_SIZE
            return self.dataset_info_from_configs(
                description=__doc__,
                features=tfds.features.FeaturesDict({
                    "image": tfds.features.Image(shape=(size, size, 3)),
                    "captions": tfds.features.Sequence(tfds.features.Text()),
                    "objects": tfds.features.Sequence(obj),
                    "relations": tfds.features.Sequence(relation),
                }),
                homepage="https://github.com/kerazoo",
            )

        def _split_generators(self, dl_manager):
            del dl_manager  # Everything is drawn here.
            config = self.builder_config
            return {split: self._generate_examples(split, config.sizes[split], config.seed) for split in SPLITS}

        def _generate_examples(self, split, count, seed):
            for index, scene in enumerate(scenes.make_scenes(count, seed, split)):
                yield index, scene_features(scene)

    return ShapesScenes


def scene_features(scene):
    """A scene as the builder's features."""
    return {
        "image": scene["image"],
        "captions": scene["captions"],
        "objects": [{"shape": o["shape"], "colour": o["colour"], "size": o["size"],
                     "box": np.asarray(o["box"], dtype=np.int32)} for o in scene["objects"]],
        "relations": [{"subject": i, "relation": r, "object": j} for i, r, j in scene["relations"]],
    }


def shapes_builder(sizes=None, seed=0, data_dir=None):
    """The `shapes_scenes` tfds builder: `DEFAULT_SIZES` and seed 0 unless given (another config name then)."""
    cls = _builder_class()
    merged = dict(DEFAULT_SIZES, **(sizes or {}))
    unknown = set(merged) - set(SPLITS)
    if unknown:
        raise ValueError(f"`sizes` keys must be among {SPLITS}. Received: sizes={sizes!r}")
    for split, count in merged.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"`sizes[{split!r}]` must be an integer >= 1. Received: {count!r}")
    if merged == DEFAULT_SIZES and seed == 0:
        return cls(config="default", data_dir=data_dir)
    name = "s" + "_".join(str(merged[s]) for s in SPLITS) + f"_seed{seed}"
    config = cls.BUILDER_CONFIG_CLASS(name=name, description="custom sizes", sizes=merged, seed=seed)
    return cls(config=config, data_dir=data_dir)


def load_split(builder, split):
    """A split as a list of scenes (dicts like `captioner_scenes.make_scene`'s, objects without centres)."""
    builder.download_and_prepare()
    names = {"shape": scenes.SHAPES, "colour": list(scenes.COLOURS), "size": scenes.SIZES}
    relation_names = list(scenes.RELATIONS)
    found = []
    for example in builder.as_dataset(split=split, shuffle_files=False).as_numpy_iterator():
        objects = []
        for k in range(len(example["objects"]["box"])):
            box = example["objects"]["box"][k].tolist()
            obj = {key: names[key][int(example["objects"][key][k])] for key in names}
            obj.update(box=box, center=((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            objects.append(obj)
        relations = [(int(s), relation_names[int(r)], int(o)) for s, r, o in zip(
            example["relations"]["subject"], example["relations"]["relation"], example["relations"]["object"])]
        found.append({"image": example["image"], "objects": objects, "relations": relations,
                      "captions": [c.decode("utf-8") for c in example["captions"]]})
    return found


def training_dataset(images, captions, vocabulary, length, batch_size, seed, epoch=0):
    """An endless dataset of `({"images", "decoder_token_ids"}, targets)` batches.

    Each epoch pairs every image with one of its captions, drawn afresh per epoch
    (deterministic from `seed` and the epoch), and shuffles the pairs.

    Args:
        images: uint8 `(N, H, W, 3)`.
        captions: list of lists of str, the captions of each image.
    """
    import tensorflow as tf

    encoded = [vocabulary.encode_batch(c, length) for c in captions]
    most = max(len(c) for c in captions)
    inputs = np.zeros((len(captions), most, length), np.int32)
    targets = np.zeros((len(captions), most, length), np.int32)
    counts = np.array([len(c) for c in captions], np.int32)
    for i, (x, y) in enumerate(encoded):
        inputs[i, : len(x)], targets[i, : len(y)] = x, y
    count = len(captions)

    def epoch_pairs(epoch):
        rng = np.random.default_rng([seed, int(epoch)])
        order = rng.permutation(count).astype(np.int64)
        pick = (rng.random(count) * counts[order]).astype(np.int64)
        return order, pick

    def epochs():
        e = epoch
        while True:
            order, pick = epoch_pairs(e)
            yield from zip(order, pick)
            e += 1

    images_t, inputs_t, targets_t = tf.constant(images), tf.constant(inputs), tf.constant(targets)

    def lookup(index, which):
        return ({"images": tf.cast(tf.gather(images_t, index), tf.float32) / 255.0,
                 "decoder_token_ids": tf.gather_nd(inputs_t, tf.stack([index, which], -1))},
                tf.gather_nd(targets_t, tf.stack([index, which], -1)))

    pairs = tf.data.Dataset.from_generator(
        epochs, output_signature=(tf.TensorSpec((), tf.int64), tf.TensorSpec((), tf.int64)))
    return pairs.batch(batch_size, drop_remainder=True).map(lookup).prefetch(2)


def evaluation_arrays(split_scenes, vocabulary, length):
    """`(x, y)` arrays: every image with its first caption, for the validation loss."""
    images = np.stack([s["image"] for s in split_scenes]).astype(np.float32) / 255.0
    inputs, targets = vocabulary.encode_batch([s["captions"][0] for s in split_scenes], length)
    return {"images": images, "decoder_token_ids": inputs}, targets


def read_images(paths, size, max_side=4096):
    """PNG or JPEG files -> float32 `(len(paths), size, size, 3)`, decoded as the `caption` signature decodes.

    A file that is not a whole PNG or JPEG, or is larger than `max_side`, raises a ValueError naming it.
    """
    import tensorflow as tf

    from kerazoo.models.captioner.captioner_export import decode_images

    if not paths:
        raise ValueError("Give at least one image file (PNG or JPEG). Received: no files")
    images = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as error:
            raise ValueError(f"Cannot read the image file {path!r}: {error.strerror}") from None
        try:
            images.append(decode_images(tf, tf.constant([data]), size, max_side)[0].numpy())
        except tf.errors.InvalidArgumentError as error:
            raise ValueError(f"{path!r} is not an image kerazoo can caption: {readable_error(error)}") from None
    return np.stack(images)


def readable_error(error):
    """The message of a failed graph check (its text and values), without TensorFlow's node names and traces."""
    import re

    text = str(getattr(error, "message", error))
    if "Summarized data:" in text:  # an eager check: its data follow, one per line
        lines = [line.strip() for line in text.split("Summarized data:", 1)[1].splitlines() if line.strip()]
        return " ".join(line[2:-1] if line[:2] in ("b'", 'b"') else line for line in lines)
    found = re.search(r"assertion failed: \[(.*?)\](?: \[(.*?)\])?", text)
    if found:
        return " ".join(part for part in found.groups() if part)
    return text.strip().split("\n")[-1]
