"""ELMo on a task where context matters: punctuation and case restoration as word tagging.

    python recipes/elmo_tagging.py                          # sizes 1,000 and 10,000, seeds 0 1 2
    python recipes/elmo_tagging.py --sizes 1000 10000 all   # and every training speech
    python recipes/elmo_tagging.py --sizes 10000 --epochs 8 --max-steps 2400 --output benchmarks/results/elmo_tagging_longer.json

    # the biLM trained on the task's text (lowercased, no marks), then the taggers over it
    kerazoo train elmo --config elmo-small-plain --output runs/elmo-plain
    python recipes/elmo_tagging.py --elmo runs/elmo-plain --sizes 1000 10000 --epochs 20 --max-steps 2400 \
        --inputs elmo elmo+word2vec --output benchmarks/results/elmo_tagging_plain.json
    python recipes/elmo_tagging.py --elmo runs/elmo-plain --sizes all --epochs 8 --max-steps 6400 \
        --output benchmarks/results/elmo_tagging_all.json

See docs/transfer.md. The frozen biLM's layers are computed once per speech
set and cached under runs/elmo_tagging/ (not committed), one cache per
biLM (`--elmo`, a preset or a run folder); the taggers train on the cache.
"""

import argparse
import datetime
import json
import os
import sys
import time

import keras
import numpy as np

from kerazoo.data.punctuation import PUNCTUATION
from kerazoo.data.punctuation import punctuation_split
from kerazoo.data.punctuation import tag_scores
from kerazoo.models.elmo.elmo_tagger import INPUT_KINDS
from kerazoo.models.elmo.elmo_tagger import build_elmo_tagger
from kerazoo.models.elmo.elmo_tagger import mixing_weights
from kerazoo.training.publish import hardware
from kerazoo.models.elmo.elmo_tagger import tag_sample_weights
from kerazoo.models.elmo.elmo_tagger_data import elmo_layer_features
from kerazoo.models.elmo.elmo_tagger_data import gather_features
from kerazoo.models.elmo.elmo_tagger_data import layer_statistics
from kerazoo.models.elmo.elmo_tagger_data import length_batches
from kerazoo.models.elmo.elmo_tagger_data import pad_tags
from kerazoo.models.elmo.elmo_tagger_data import tagging_sequences
from kerazoo.models.elmo.elmo_tagger_data import word_ids
from kerazoo.models.elmo.elmo_tagger_data import word_index

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(ROOT, "runs", "elmo_tagging")


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def cached_elmo_features(name, sequences, embedder_factory):
    """`(features, spans)` of `sequences`, from runs/elmo_tagging/<name>_*.npy or computed and saved there."""
    features_path = os.path.join(CACHE, f"{name}_features.npy")
    spans_path = os.path.join(CACHE, f"{name}_spans.npy")
    lengths = np.array([len(words) for words in sequences], dtype=np.int64)
    if os.path.isfile(features_path) and os.path.isfile(spans_path):
        spans = np.load(spans_path)
        if np.array_equal(spans[:, 1] - spans[:, 0], lengths):
            return np.load(features_path, mmap_mode="r"), spans
    os.makedirs(CACHE, exist_ok=True)
    start = time.monotonic()
    total = len(sequences)

    def progress(done):
        if done % 2048 < 128 or done == total:
            log(f"elmo {name}: {done}/{total} sequences, {time.monotonic() - start:.0f} s")

    features, spans = elmo_layer_features(embedder_factory(), sequences, progress=progress)
    np.save(features_path, features)
    np.save(spans_path, spans)
    return np.load(features_path, mmap_mode="r"), spans


class TagBatches:
    """Length-bucketed tagger batches: (inputs, targets, per-word loss weights), reshuffled each epoch if seeded."""

    def __init__(self, ids_of, tags, elmo, indices, batch_size, seed):
        self.ids_of, self.tags, self.elmo, self.indices = ids_of, tags, elmo, np.asarray(indices)
        self.batch_size, self.rng = batch_size, (None if seed is None else np.random.default_rng(seed))
        self.on_epoch_end()

    def on_epoch_end(self):
        lengths = [len(self.tags.words[i]) for i in self.indices]
        self.batches = length_batches(lengths, self.batch_size, self.rng)

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, item):
        positions, width = self.batches[item]
        chosen = self.indices[positions]
        ids = self.ids_of(chosen, width)
        inputs = {"word_ids": ids}
        if self.elmo is not None:
            inputs["elmo"] = gather_features(*self.elmo, chosen, width)
        targets = {"punctuation": pad_tags([self.tags.punctuation[i] for i in chosen], width),
                   "capital": pad_tags([self.tags.capitals[i] for i in chosen], width)}
        weights = tag_sample_weights(ids)
        return inputs, targets, {"punctuation": weights, "capital": weights}


def predict_tags(model, ids_of, tags, elmo, indices):
    """Predicted `(marks, capitals)` over the real words of sequences `indices`, in order, and the true ones."""
    batches = TagBatches(ids_of, tags, elmo, indices, 64, None)
    true_marks, true_caps, marks, caps = [], [], [], []
    for item in range(len(batches)):
        inputs, targets, weights = batches[item]
        outputs = model.predict_on_batch(inputs)
        real = weights["punctuation"] > 0
        marks.append(np.argmax(outputs["punctuation"], -1)[real])
        caps.append(np.argmax(outputs["capital"], -1)[real])
        true_marks.append(targets["punctuation"][real])
        true_caps.append(targets["capital"][real])
    return [np.concatenate(parts) for parts in (true_marks, marks, true_caps, caps)]


def run_one(kind, size, seed, data, args):
    """Trains one tagger on `size` training speeches drawn with `seed`; its test scores."""
    train_tags, test_tags = data["train"], data["test"]
    chosen = data["speeches"].sample_indices(size, seed)
    rng = np.random.default_rng(seed + 1000)
    validation_count = max(1, int(round(args.validation_share * size)))
    shuffled = rng.permutation(chosen)
    validation, fit = np.sort(shuffled[:validation_count]), np.sort(shuffled[validation_count:])
    keras.utils.set_random_seed(seed)
    if kind == "scratch":
        index = word_index([w for i in fit for w in train_tags.words[i]], min_count=2)
        kwargs = {"vocabulary_size": len(index) + 2}
    else:
        index = data["w2v_index"]
        kwargs = {"word_vectors": data["w2v_vectors"]} if "word2vec" in kind else {}
    if kind.startswith("elmo") and args.standardize:
        # Statistics of the words this run fits on, as a task would have them.
        features, spans = data["elmo_train"]
        rows = np.concatenate([np.arange(*spans[i]) for i in fit])
        rows = np.sort(np.random.default_rng(seed).choice(rows, min(len(rows), 50_000), replace=False))
        kwargs["elmo_mean"], kwargs["elmo_variance"] = layer_statistics(features, rows)
    model = build_elmo_tagger(kind, seed=seed, lstm_units=args.lstm_units, **kwargs)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss={"punctuation": "sparse_categorical_crossentropy", "capital": "sparse_categorical_crossentropy"})

    def ids_train(indices, width):
        return word_ids([train_tags.words[i] for i in indices], index, width)

    def ids_test(indices, width):
        return word_ids([test_tags.words[i] for i in indices], index, width)

    elmo_train = data["elmo_train"] if kind.startswith("elmo") else None
    elmo_test = data["elmo_test"] if kind.startswith("elmo") else None
    start = time.monotonic()
    batches = TagBatches(ids_train, train_tags, elmo_train, fit, args.batch_size, seed)
    validation_batches = TagBatches(ids_train, train_tags, elmo_train, validation, 64, None)
    epochs = max(1, min(args.epochs, args.max_steps // len(batches)))
    history = {"loss": [], "val_loss": []}
    best, best_weights, waited = float("inf"), None, 0
    # A plain loop, not `fit`: Keras turns a PyDataset into tf.data with the time axis of its first
    # batches fixed, and these batches change width.
    for _ in range(epochs):
        losses = [float(model.train_on_batch(*batches[i])[0]) for i in range(len(batches))]
        batches.on_epoch_end()
        history["loss"].append(float(np.mean(losses)))
        words = [validation_batches[i][2]["punctuation"].sum() for i in range(len(validation_batches))]
        val = [float(model.test_on_batch(*validation_batches[i])[0]) for i in range(len(validation_batches))]
        history["val_loss"].append(float(np.average(val, weights=words)))
        if history["val_loss"][-1] < best:
            best, best_weights, waited = history["val_loss"][-1], model.get_weights(), 0
        else:
            waited += 1
            if waited >= args.patience:
                break
    model.set_weights(best_weights)
    fit_s = time.monotonic() - start
    scores = tag_scores(*predict_tags(model, ids_test, test_tags, elmo_test, np.arange(len(test_tags))))
    result = {
        "input": kind, "size": size, "seed": seed, "fit_speeches": len(fit), "validation_speeches": len(validation),
        "epochs_run": len(history["loss"]), "epochs_allowed": epochs, "best_val_loss": best,
        "val_loss": history["val_loss"],
        "fit_s": round(fit_s, 1), **scores,
    }
    if kind.startswith("elmo"):
        result["scalar_mix"] = mixing_weights(model)
    return result


def summarise(results):
    """Mean and standard error over seeds of each figure, per input and size."""
    groups = {}
    for row in results:
        groups.setdefault((row["size"], row["input"]), []).append(row)
    summary = []
    for (size, kind), rows in sorted(groups.items(), key=lambda item: (item[0][0], INPUT_KINDS.index(item[0][1]))):
        figures = {"macro_f1": [r["macro_f1"] for r in rows], "micro_f1": [r["micro_f1"] for r in rows],
                   "capital_f1": [r["capital_f1"] for r in rows]}
        for mark in PUNCTUATION[1:]:
            figures[mark] = [r["f1"][mark] for r in rows]
        entry = {"input": kind, "size": size, "seeds": [r["seed"] for r in rows]}
        for name, values in figures.items():
            values = np.asarray(values, dtype=np.float64)
            se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
            entry[name] = {"mean": float(values.mean()), "se": se}
        if kind.startswith("elmo"):
            mixes = np.array([r["scalar_mix"]["weights"] for r in rows])
            entry["scalar_mix_weights_mean"] = mixes.mean(axis=0).tolist()
            entry["scalar_mix_gamma_mean"] = float(np.mean([r["scalar_mix"]["gamma"] for r in rows]))
        summary.append(entry)
    return summary


def markdown_table(summary):
    """The results as a markdown table: F1 × 100, mean ± standard error over seeds."""
    columns = ["macro_f1", *PUNCTUATION[1:], "capital_f1"]
    lines = ["| speeches | input | " + " | ".join(c.replace("_f1", " F1") for c in columns) + " |",
             "| --- | --- | " + " | ".join("---" for _ in columns) + " |"]
    for entry in summary:
        cells = [f"{100 * entry[c]['mean']:.1f} ± {100 * entry[c]['se']:.1f}" for c in columns]
        lines.append(f"| {entry['size']:,} | {entry['input']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def word2vec_lookup():
    """`({word: id}, vectors)` of the `plays-word2vec` preset, ids from 2, rows 0 and 1 (padding, unknown) zero."""
    import kerazoo

    model = kerazoo.from_preset("plays-word2vec")
    vectors = np.asarray(model.word_vectors, dtype=np.float32)
    index = {word: i + 2 for i, word in enumerate(model.vocabulary.words)}
    return index, np.concatenate([np.zeros((2, vectors.shape[1]), np.float32), vectors])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000", "10000"], help="training speeches per run; 'all' for every one")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--inputs", nargs="+", default=list(INPUT_KINDS), choices=INPUT_KINDS)
    parser.add_argument("--max-words", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=20, help="most passes over the training speeches")
    parser.add_argument("--max-steps", type=int, default=1200, help="fewer passes where this many batches come first")
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lstm-units", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--validation-share", type=float, default=0.1)
    parser.add_argument("--no-standardize", dest="standardize", action="store_false",
                        help="feed the biLM layers to the mix unscaled")
    parser.add_argument("--elmo", default="plays-elmo", help="the frozen biLM: a preset, or a preset or run folder")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "elmo_tagging.json"))
    args = parser.parse_args(argv)
    import kerazoo
    from kerazoo.models.elmo import ElmoEmbedder

    started = time.monotonic()
    speeches, test_speeches = punctuation_split()
    sizes = [len(speeches) if s == "all" else int(s) for s in args.sizes]
    train = tagging_sequences(speeches, args.max_words)
    test = tagging_sequences(test_speeches, args.max_words, split_long=True)
    log(f"train {len(train)} sequences {train.word_count} words; test {len(test)} sequences {test.word_count} words")
    data = {"speeches": speeches, "train": train, "test": test}
    data["w2v_index"], data["w2v_vectors"] = word2vec_lookup()
    if any(kind.startswith("elmo") for kind in args.inputs):
        bilm = kerazoo.from_preset(args.elmo)
        # A run folder's metadata holds its config; a preset's holds it under "training".
        metadata = bilm.preset_metadata
        run_config = metadata.get("run_config") or metadata.get("training", {}).get("run_config", {})
        args.elmo_text = run_config.get("text", "cased")
        log(f"biLM {args.elmo}: trained on {args.elmo_text} text")

        def embedder():
            return ElmoEmbedder(bilm)

        prefix = metadata["name"] + "_"  # the preset's name, or the run folder's
        data["elmo_test"] = cached_elmo_features(f"{prefix}test{args.max_words}", test.words, embedder)
        data["elmo_train"] = cached_elmo_features(f"{prefix}train{args.max_words}", train.words, embedder)
    results = []
    for size in sizes:
        for seed in args.seeds:
            for kind in args.inputs:
                row = run_one(kind, size, seed, data, args)
                results.append(row)
                log(f"{kind} size={size} seed={seed}: macro F1 {row['macro_f1']:.4f} capital F1 {row['capital_f1']:.4f} "
                    f"({row['epochs_run']} epochs, {row['fit_s']} s)" + (f" mix {row['scalar_mix']}" if "scalar_mix" in row else ""))
                write(results, args, started)
    log("done")


def write(results, args, started):
    """benchmarks/results/elmo_tagging.json (every run and the summary) and the markdown table beside it."""
    summary = summarise(results)
    report = {
        "task": "punctuation and case restoration as word tagging (kerazoo.data.punctuation), test = 4 plays the biLM never read",
        "macro_f1": "mean F1 of the six marks (comma, period, question, exclamation, colon, semicolon); 'none' excluded",
        "settings": {key: value for key, value in vars(args).items() if key != "output"},
        "summary": summary,
        "runs": results,
        "wall_s": round(time.monotonic() - started, 1),
        "date": datetime.date.today().isoformat(),
        "hardware": hardware() + ", shared with other jobs",
        "backend": keras.backend.backend(),
        "command": "python recipes/elmo_tagging.py " + " ".join(sys.argv[1:]),
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    with open(os.path.splitext(args.output)[0] + ".md", "w", encoding="utf-8") as f:
        f.write(markdown_table(summary))


if __name__ == "__main__":
    main()
