"""Transfer from ELMo's biLM to the genre task, and the lectures' "watch" check, on a trained biLM.

    python recipes/elmo_genre.py runs/elmo/elmo-small-<time>        # a run of benchmarks/elmo_shakespeare.py
    python recipes/elmo_genre.py RUN --word-vectors runs/word2vec   # averaged word2vec vectors as the baseline

Every line of speech of the complete plays is labelled with its play's
genre and split 80/20 at random, stratified by genre. Three classifiers are
trained on the same split (`kerazoo.models.classifiers.genre_task.run_genre_comparison`):
a bag of words, averaged word vectors (learned with the task unless
`--word-vectors` names a word2vec run folder or file) and the frozen biLM with a
trained scalar mix and the same small MLP. The "watch" check embeds two
sentences where it is a verb and two where it is a noun. One JSON line is
printed and appended to benchmarks/results/elmo_genre.jsonl.
"""

import argparse
import datetime
import json
import os
import platform
import time

import keras
import numpy as np

from kerazoo.data.words import tokenize_with_punctuation as tokenize
from kerazoo.models.elmo import ElmoEmbedder
from kerazoo.training import load_bilm_run
from kerazoo.models.classifiers.genre_task import run_genre_comparison

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WATCH = {
    "verb_1": "I will watch the play tonight .",
    "verb_2": "We watch the stars till morning .",
    "noun_1": "He looked at his watch and sighed .",
    "noun_2": "My watch is broken .",
}


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def watch_check(embedder):
    """Cosines between the vectors of "watch" in the four sentences, per output."""
    sentences = [" ".join(tokenize(s)) for s in WATCH.values()]
    outputs = embedder.embed(sentences)
    positions = [s.split().index("watch") for s in sentences]
    names = list(WATCH)
    report = {}
    for output in ["word_emb", *embedder.layer_names[1:], "elmo"]:
        vectors = {n: outputs[output][i, p] for i, (n, p) in enumerate(zip(names, positions))}
        report[output] = {
            "verb_1~noun_1": round(cosine(vectors["verb_1"], vectors["noun_1"]), 4),
            "verb_1~verb_2": round(cosine(vectors["verb_1"], vectors["verb_2"]), 4),
            "noun_1~noun_2": round(cosine(vectors["noun_1"], vectors["noun_2"]), 4),
            "max_abs_difference_verb_1_noun_1": float(np.abs(vectors["verb_1"] - vectors["noun_1"]).max()),
        }
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a biLM run folder (kerazoo train elmo, benchmarks/elmo_shakespeare.py)")
    parser.add_argument("--word-vectors", default=None, help="a word2vec run folder (kerazoo train word2vec) or file, for the averaged-vector baseline")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args(argv)
    start = time.monotonic()
    bilm, _ = load_bilm_run(args.run_dir)
    embedder = ElmoEmbedder(bilm)
    watch = watch_check(embedder)
    print(json.dumps({"watch": watch}), flush=True)
    settings = {"seed": args.seed, "word_vectors": args.word_vectors}
    if args.epochs:
        settings["epochs"] = args.epochs
    results = run_genre_comparison(embedder, settings)
    row = {
        "run_dir": os.path.relpath(os.path.abspath(args.run_dir), ROOT),
        **{name: results[name]["test_accuracy"] for name in
           ("bag_of_words", "averaged_embeddings", "elmo", "averaged_embeddings_and_elmo") if name in results},
        "majority_test_accuracy": results["majority_test_accuracy"],
        "details": results,
        "watch": watch,
        "wall_s": round(time.monotonic() - start, 1),
        "date": datetime.date.today().isoformat(),
        "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()}), shared with other jobs",
        "backend": keras.backend.backend(),
        "command": "python recipes/elmo_genre.py RUN_DIR" + (f" --word-vectors {args.word_vectors}" if args.word_vectors else ""),
    }
    print(json.dumps(row), flush=True)
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks", "results", "elmo_genre.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
