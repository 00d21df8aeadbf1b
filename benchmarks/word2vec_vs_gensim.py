"""kerazoo's skip-gram against gensim 4.4: wall time and agreement, one run, same corpus, same machine.

    python benchmarks/word2vec_vs_gensim.py                  # the `fast` preset (the default)
    python benchmarks/word2vec_vs_gensim.py --preset gensim  # gensim's own schedule

Both train on the same sentences: the complete plays as words (lowercase
`[a-z']+`, one sentence per line of speech), min_count 5, about 806k words and
a vocabulary of about 8.6k. gensim runs the reference settings (sg=1,
vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=5,
workers=2) and kerazoo alternately, `--rounds` times (3 by default; gensim with
seeds 1, 2, 3, and each round swaps which system goes first). Each
clock covers what `Word2Vec(sentences, ...)` covers: vocabulary, pipeline and
training, from tokenised sentences to word vectors (imports and corpus
loading excluded).

Agreement: the Spearman correlation of the cosine similarities of 20,000
random pairs of the 1,000 most frequent words, kerazoo against gensim seed 1,
and gensim seed 2 against gensim seed 1.

kerazoo's default schedule (2 epochs from alpha 0.05) does less work than
gensim's reference (5 epochs from 0.025). For a like-for-like view the script
also times gensim on kerazoo's schedule (`gensim_same_schedule_s`, with its
agreement with the reference run), and records where kerazoo's time went
(`kerazoo_clock_s`: seconds from the start to each stage).

The ratio that counts is kerazoo's time over gensim's within a round
(`round_ratios`, and their `median_ratio`): on a shared machine absolute times
move from run to run. Prints one JSON line (`kerazoo_s`, `gensim_s`, `spearman_vs_gensim`,
`spearman_gensim_seeds`, and the settings) and appends it to
benchmarks/results/word2vec_vs_gensim.jsonl. Every setting is fixed here or
on the command line, so a rerun on a quiet machine measures the same thing.
"""

import argparse
import datetime
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

from kerazoo.models.word2vec.keyed_vectors import spearman_correlation  # noqa: E402
from kerazoo.models.word2vec.word2vec_corpus import load_sentences  # noqa: E402
from kerazoo.training import resolve_word2vec_config  # noqa: E402
from kerazoo.training import train_word2vec  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_table  # noqa: E402
from kerazoo.training.publish import hardware  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GENSIM_SETTINGS = dict(sg=1, vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=5, workers=2)
TOP_WORDS, PAIRS = 1000, 20000
# CPU seconds (all threads) of the first gensim run and of kerazoo: on a shared machine
# they move less than wall times do.
CPU_SECONDS = {}


def cosine_pairs(vectors, words, first, second):
    matrix = np.stack([vectors[w] for w in words]).astype(np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.sum(matrix[first] * matrix[second], axis=1)


def run_gensim(sentences, seed, **overrides):
    from gensim.models import Word2Vec

    start, cpu = time.perf_counter(), time.process_time()
    model = Word2Vec(sentences, seed=seed, **{**GENSIM_SETTINGS, **overrides})
    CPU_SECONDS.setdefault("gensim", time.process_time() - cpu)
    return model.wv, time.perf_counter() - start


def evaluations(kerazoo_vectors, gensim_vectors):
    """Both systems on gensim's bundled questions-words and WordSim-353 files."""
    import gensim

    from kerazoo.models.word2vec import KeyedVectors

    data = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
    questions, pairs = os.path.join(data, "questions-words.txt"), os.path.join(data, "wordsim353.tsv")
    gensim_as_ours = KeyedVectors(gensim_vectors.index_to_key, gensim_vectors.vectors)
    result = {}
    for name, vectors in (("kerazoo", kerazoo_vectors), ("gensim", gensim_as_ours)):
        accuracy, sections = vectors.evaluate_word_analogies(questions)
        _, spearman, oov = vectors.evaluate_word_pairs(pairs)
        result[name] = {
            "analogy_accuracy": round(accuracy, 4),
            "analogy_questions": len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]),
            "wordsim353_spearman": round(spearman, 4),
            "wordsim353_oov_percent": round(oov, 1),
        }
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast", help="kerazoo word2vec preset: fast or gensim")
    parser.add_argument("--epochs", type=int, help="override the preset")
    parser.add_argument("--learning-rate", type=float, help="override the preset")
    parser.add_argument("--batch-size", type=int, help="pairs per step (default 4096)")
    parser.add_argument("--pipeline", choices=["auto", "tf", "numpy"], help="the Keras step's input pipeline")
    parser.add_argument("--step", choices=["keras", "hogwild"], help="override the preset's fit step")
    parser.add_argument("--workers", type=int, help="the hogwild step's threads (default: one per core)")
    parser.add_argument("--corpus", default="shakespeare")
    parser.add_argument("--seed", type=int, default=0, help="kerazoo's seed")
    parser.add_argument("--steps-per-execution", type=int, help="steps per compiled call (default 32)")
    parser.add_argument("--rounds", type=int, default=3, help="gensim and kerazoo alternate this many times")
    parser.add_argument("--no-save", action="store_true", help="do not append to benchmarks/results")
    args = parser.parse_args(argv)

    import gensim

    sentences = load_sentences(args.corpus)
    config = resolve_word2vec_config(
        preset=args.preset,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        pipeline=args.pipeline,
        seed=args.seed,
        steps_per_execution=args.steps_per_execution,
        step=args.step,
        workers=args.workers,
        verbose=0,
    )
    # Rounds alternate which system goes first, so that neither always meets the machine's
    # load at the same moment; only ratios from the same run count (the 2 cores are shared).
    gensim_runs, kerazoo_times, ratios = [], [], []
    for round_index in range(args.rounds):
        order = ("gensim", "kerazoo") if round_index % 2 == 0 else ("kerazoo", "gensim")
        for system in order:
            if system == "gensim":
                gensim_runs.append(run_gensim(sentences, seed=round_index + 1))
            else:
                start, cpu = time.perf_counter(), time.process_time()
                _, vocabulary, round_vectors, round_metrics = train_word2vec(config, sentences=sentences)
                kerazoo_times.append(time.perf_counter() - start)
                CPU_SECONDS.setdefault("kerazoo", time.process_time() - cpu)
                if round_index == 0:
                    vectors, metrics = round_vectors, round_metrics
        ratios.append(kerazoo_times[-1] / gensim_runs[-1][1])
    gensim_1, gensim_s = gensim_runs[0]
    kerazoo_s = kerazoo_times[0]
    gensim_2, gensim_2_s = gensim_runs[1] if len(gensim_runs) > 1 else run_gensim(sentences, seed=2)
    gensim_same, gensim_same_s = run_gensim(
        sentences, seed=3, epochs=config["epochs"], alpha=config["learning_rate"], min_alpha=config["min_learning_rate"]
    )

    top = gensim_1.index_to_key[:TOP_WORDS]
    rng = np.random.default_rng(0)
    first, second = rng.integers(0, len(top), PAIRS), rng.integers(0, len(top), PAIRS)
    reference = cosine_pairs(gensim_1, top, first, second)
    row = {
        "benchmark": "word2vec_vs_gensim",
        "kerazoo_s": round(kerazoo_s, 2),
        "gensim_s": round(gensim_s, 2),
        "spearman_vs_gensim": round(spearman_correlation(cosine_pairs(vectors, top, first, second), reference), 4),
        "spearman_gensim_seeds": round(spearman_correlation(cosine_pairs(gensim_2, top, first, second), reference), 4),
        "speed_ratio": round(kerazoo_s / gensim_s, 3),
        "rounds": args.rounds,
        "round_kerazoo_s": [round(t, 2) for t in kerazoo_times],
        "round_gensim_s": [round(t, 2) for _, t in gensim_runs],
        "round_ratios": [round(r, 3) for r in ratios],
        "median_ratio": round(float(np.median(ratios)), 3),
        "gensim_seed2_s": round(gensim_2_s, 2),
        "gensim_same_schedule_s": round(gensim_same_s, 2),
        "spearman_gensim_same_schedule": round(
            spearman_correlation(cosine_pairs(gensim_same, top, first, second), reference), 4
        ),
        "kerazoo_cpu_s": round(CPU_SECONDS["kerazoo"], 2),
        "gensim_cpu_s": round(CPU_SECONDS["gensim"], 2),
        "kerazoo_clock_s": metrics["clock_s"],
        "evaluations": evaluations(vectors, gensim_1),
        "kerazoo": {k: config[k] for k in ("training_config", "step", "epochs", "learning_rate", "batch_size", "pipeline",
                                           "seed", "steps_per_execution", "jit_compile")},
        "kerazoo_workers": metrics.get("workers"),
        "kerazoo_steps": metrics["steps_per_epoch"] * config["epochs"] if config["step"] == "keras" else None,
        "kerazoo_pairs_per_epoch": metrics["pairs_per_epoch"],
        "gensim": {**GENSIM_SETTINGS, "version": gensim.__version__},
        "corpus": args.corpus,
        "corpus_words": metrics["corpus_words"],
        "vocabulary_size": vocabulary.size,
        "gensim_vocabulary_size": len(gensim_1),
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "hardware": hardware(),
        "date": datetime.date.today().isoformat(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    return results_table.report("word2vec_vs_gensim.jsonl", row, save=not args.no_save)


if __name__ == "__main__":
    main()
