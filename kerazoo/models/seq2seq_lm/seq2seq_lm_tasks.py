"""The tasks a sequence-to-sequence run trains on, and the measures of a trained model on them.

A task makes `(train, test)` lists of `(source, target)` strings from a run's
settings and measures a trained model on its test pairs. `SEQ2SEQ_TASKS`
holds the named ones; any other `task` is the path of a TSV file.

| task | pairs | held out | measures |
| --- | --- | --- | --- |
| `dates` | a date in one of 20 formats -> ISO 8601 | calendar days never seen | exact match |
| `dates-new-formats` | the same training pairs | days never seen, in 4 formats never seen | exact match (per format), loss |
| `punctuation` | a speech's lowercase words -> the speech as written | 4 whole plays | exact match, per-mark F1, loss |
| `dialogue` | a speech -> the reply to it (`kerazoo.data.dialogue`) | 4 whole plays | exact match, word F1, loss |
| a TSV file | `source<TAB>target` lines | a seeded tenth | exact match |

The punctuation task (`kerazoo.data.punctuation`) keeps the speeches of at most
`PUNCTUATION_MAX_CHARACTERS` characters, 70% of them, so that a decoder writes
each in one short pass; its `train_size` pairs are a seeded, nested sample
(`PunctuationSpeeches.sample`), all of them when it asks for more, and its
`test_size` held-out pairs are the same for every seed. The dialogue task
(`kerazoo.data.dialogue.dialogue_splits`, the same four plays held out)
pairs the speech replied to with its reply, both of at most as many characters,
and samples its training and test pairs the same way.
"""

import dataclasses
import os
from typing import Callable

import numpy as np

from kerazoo.data.dates import date_splits

PUNCTUATION_MAX_CHARACTERS = 128
# The test pairs whose replies the dialogue task reports beside its measures.
SAMPLE_REPLIES = 5


def exact_match(model, vocabulary, pairs, beam_width=1, batch_size=500):
    """The fraction of `pairs` whose translation equals the target exactly."""
    outputs = translate_all(model, vocabulary, [source for source, _ in pairs], beam_width, batch_size)
    return share_exact(outputs, [target for _, target in pairs])


def share_exact(outputs, targets):
    """The fraction of `outputs` equal to their `targets`."""
    return sum(output == target for output, target in zip(outputs, targets)) / len(targets)


def translate_all(model, vocabulary, sources, beam_width=1, batch_size=500):
    """`translate` over `sources` in batches of `batch_size`."""
    from kerazoo.generation.translate import translate

    outputs = []
    for start in range(0, len(sources), batch_size):
        outputs += translate(model, vocabulary, sources[start : start + batch_size], beam_width=beam_width)
    return outputs


def teacher_forced_loss(model, vocabulary, pairs, batch_size=256):
    """Mean cross-entropy, in nats, of each target character and the end token, given the true ones before it."""
    longest = max(len(target) for _, target in pairs) + 1
    total, count = 0.0, 0
    for start in range(0, len(pairs), batch_size):
        inputs, targets = vocabulary.encode_pairs(pairs[start : start + batch_size], target_length=longest)
        logits = np.asarray(model.predict_on_batch(inputs), dtype=np.float64)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(log_probs, targets[..., None].astype(np.int64), axis=-1)[..., 0]
        mask = targets != 0
        total -= float(picked[mask].sum())
        count += int(mask.sum())
    return total / count


def exact_match_measures(model, vocabulary, test_pairs, config):
    return {"test_exact_match": exact_match(model, vocabulary, test_pairs, beam_width=config["beam_width"])}


def translated_measures(model, vocabulary, test_pairs, config):
    """`(outputs, targets, measures)`: the model's translations of the test sources, their targets, and the two
    measures every held-out task reports, exact match and the teacher-forced loss; a task adds its own to them."""
    outputs = translate_all(model, vocabulary, [source for source, _ in test_pairs], config["beam_width"])
    targets = [target for _, target in test_pairs]
    measures = {"test_exact_match": share_exact(outputs, targets),
                "test_loss": teacher_forced_loss(model, vocabulary, test_pairs)}
    return outputs, targets, measures


def punctuation_measures(model, vocabulary, test_pairs, config):
    """Exact match, the marks' F1 (`kerazoo.data.punctuation.mark_scores`) and the teacher-forced loss."""
    from kerazoo.data.punctuation import mark_scores

    outputs, targets, measures = translated_measures(model, vocabulary, test_pairs, config)
    scores = mark_scores(outputs, targets)
    return {
        **measures,
        "test_mark_macro_f1": scores["macro_f1"],
        "test_mark_micro_f1": scores["micro_f1"],
        "test_capital_f1": scores["capital_f1"],
        "test_mark_f1": scores["f1"],
    }


def dates_pairs(config):
    return date_splits(config["train_size"], config["test_size"], seed=config["seed"])


def dates_new_formats_pairs(config):
    """`dates`' training pairs; its test days written in `NEW_FORMATS`, which no training pair uses."""
    from kerazoo.data.dates import NEW_FORMATS

    return date_splits(config["train_size"], config["test_size"], seed=config["seed"], test_formats=NEW_FORMATS)


def new_format_measures(model, vocabulary, test_pairs, config):
    """Exact match on the test dates, overall and per format of `NEW_FORMATS`, and the teacher-forced loss."""
    import datetime

    from kerazoo.data.dates import NEW_FORMATS

    outputs, _, measures = translated_measures(model, vocabulary, test_pairs, config)
    per_format = {name: [] for name in NEW_FORMATS}
    for output, (source, target) in zip(outputs, test_pairs):
        date = datetime.date.fromisoformat(target)
        name = next(name for name, write in NEW_FORMATS.items() if write(date) == source)
        per_format[name].append(output == target)
    return {
        **measures,
        "test_exact_match_per_format": {name: sum(hits) / len(hits) for name, hits in per_format.items() if hits},
    }


def dialogue_pairs(config):
    """The chat exchanges as `(speech replied to, reply)`, both of at most `PUNCTUATION_MAX_CHARACTERS` characters."""
    from kerazoo.data.dialogue import dialogue_splits

    splits = dialogue_splits()
    train, test = (
        [(e.context[-1], e.reply) for e in splits[name]
         if max(len(e.context[-1]), len(e.reply)) <= PUNCTUATION_MAX_CHARACTERS]
        for name in ("train", "test")
    )
    return sample_pairs(train, config["train_size"], config["seed"]), sample_pairs(test, config["test_size"], 0)


def sample_pairs(pairs, count, seed):
    """`min(count, len(pairs))` of `pairs`, in their order, drawn as the punctuation task draws its speeches."""
    from kerazoo.data.punctuation import nested_sample_indices

    return [pairs[i] for i in nested_sample_indices(len(pairs), min(count, len(pairs)), seed)]


def dialogue_measures(model, vocabulary, test_pairs, config):
    """Exact match and word F1 (`kerazoo.data.words.mean_word_f1`) of the replies, the teacher-forced loss, and
    `SAMPLE_REPLIES` evenly spaced test pairs with the model's reply, `[source, reply, target]`, to read."""
    from kerazoo.data.words import mean_word_f1

    outputs, targets, measures = translated_measures(model, vocabulary, test_pairs, config)
    step = max(1, len(test_pairs) // SAMPLE_REPLIES)
    return {
        **measures,
        "test_word_f1": mean_word_f1(outputs, targets),
        "test_replies": [[test_pairs[i][0], outputs[i], targets[i]] for i in range(0, len(test_pairs), step)][
            :SAMPLE_REPLIES],
    }


def punctuation_pairs(config):
    from kerazoo.data.punctuation import punctuation_split

    train, test = (
        split.subset([i for i, target in enumerate(split.targets) if len(target) <= PUNCTUATION_MAX_CHARACTERS])
        for split in punctuation_split()
    )
    train = train.sample(min(config["train_size"], len(train)), seed=config["seed"])
    test = test.sample(min(config["test_size"], len(test)), seed=0)
    return train.pairs, test.pairs


@dataclasses.dataclass(frozen=True)
class Seq2SeqTask:
    """A named task: `pairs(config) -> (train, test)`, `measures(model, vocabulary, test_pairs, config) -> dict`."""

    description: str
    pairs: Callable
    measures: Callable = exact_match_measures


SEQ2SEQ_TASKS = {
    "dates": Seq2SeqTask("human-written dates in 20 formats -> ISO 8601", dates_pairs),
    "dates-new-formats": Seq2SeqTask(
        "dates as in `dates`, tested on days never seen in 4 formats never seen", dates_new_formats_pairs,
        new_format_measures,
    ),
    "punctuation": Seq2SeqTask(
        "punctuation and case restoration of speeches on 4 held-out plays", punctuation_pairs, punctuation_measures
    ),
    "dialogue": Seq2SeqTask("the reply to a speech, on 4 held-out plays", dialogue_pairs, dialogue_measures),
}


def task_of(config):
    """The `Seq2SeqTask` a config names; a TSV file's task when `task` is not a registered name."""
    return SEQ2SEQ_TASKS.get(config["task"]) or Seq2SeqTask("source<TAB>target lines of a file", tsv_pairs)


def load_pairs(config):
    """`(train, test)` pairs for the config's task."""
    return task_of(config).pairs(config)


def tsv_pairs(config):
    path = config["task"]
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"`task` must be one of {sorted(SEQ2SEQ_TASKS)} or a TSV file of source<TAB>target lines. "
            f"Received: task={path!r}"
        )
    from kerazoo.data.text_files import read_text_file

    lines = read_text_file(path, "task").splitlines()
    pairs = [tuple(line.split("\t", 1)) for line in lines if "\t" in line]
    if len(pairs) < 2:
        raise ValueError(f"{path!r} holds {len(pairs)} source<TAB>target lines; at least 2 are needed.")
    order = np.random.default_rng(config["seed"]).permutation(len(pairs))
    test_count = min(config["test_size"], max(1, len(pairs) // 10))
    return [pairs[i] for i in order[test_count:]], [pairs[i] for i in order[:test_count]]
