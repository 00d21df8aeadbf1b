"""Character n-gram models of orders 1 to 6 on tiny_shakespeare: held-out bits/char, stored counts, contexts, export size.

For each order, trains `kerazoo train ngram --unit char --order N` (interpolated
Kneser-Ney, d = 0.75) on tiny_shakespeare's first 90%, measures its held-out split
(validation + test, nanoGPT's val, 111,540 characters) with the family's
`streamed_loss` measure, counts the distinct contexts of each order in the
training text (the lectures' "n-gram models scale terribly with context"),
and exports each model as a SavedModel to measure its size. Writes one JSON line
per order to benchmarks/results/ngram_orders.jsonl and prints a Markdown table.

    KERAZOO_TINY_SHAKESPEARE=/path/to/input.txt python benchmarks/ngram_orders.py
    python benchmarks/ngram_orders.py --orders 1 2 3 --smoothing modified-kn
"""

import argparse
import json
import os
import platform
import shutil
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results", "ngram_orders.jsonl")


def folder_mb(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files) / 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="tiny_shakespeare")
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--smoothing", default="kn")
    parser.add_argument("--no-export", action="store_true", help="skip the SavedModel sizes")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)

    import keras

    from kerazoo.data.corpora import load_corpus
    from kerazoo.models.ngram import distinct_contexts
    from kerazoo.models.registry import get_family
    from kerazoo.training import train

    family = get_family("ngram")
    corpus = load_corpus(args.corpus)
    contexts = distinct_contexts(corpus.train, max(args.orders), "char")
    rows = []
    work = tempfile.mkdtemp(prefix="ngram-orders-")
    try:
        for order in args.orders:
            config = family.resolve_config(corpus=args.corpus, samples=0, verbose=0,
                                           model_kwargs={"order": order, "smoothing": args.smoothing})
            start = time.perf_counter()
            model, vocabulary, metrics = train(config, None)
            wall = time.perf_counter() - start
            measured = family.measure(model, vocabulary, {"kind": "streamed_loss",
                                                          "data": {"corpus": args.corpus, "split": "heldout"}})
            row = {
                "model": f"ngram-char-{order}", "order": order, "smoothing": args.smoothing, "corpus": args.corpus,
                "split": "heldout", "nats_per_char": measured["value"], "bits_per_char": measured["bits_per_char"],
                "perplexity": measured["perplexity"], "characters": measured["characters"],
                "parameters": family.parameter_count(model)["count"], "parameters_kind": "stored counts",
                "weights": model.count_params(), "distinct_contexts": contexts[order],
                "train_wall_s": round(wall, 2), "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()})",
                "backend": keras.backend.backend(), "date": time.strftime("%Y-%m-%d"),
            }
            if not args.no_export and keras.backend.backend() == "tensorflow":
                from kerazoo.export import export_saved_model

                path = export_saved_model(model, vocabulary, f"order{order}", base_dir=work)
                row["saved_model_mb"] = round(folder_mb(path), 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("".join(json.dumps(row) + "\n" for row in rows))
    print("\n| order | bits/char | perplexity | stored counts | distinct contexts | SavedModel MB | count+measure s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['order']} | {row['bits_per_char']:.4f} | {row['perplexity']:.3f} | {row['parameters']:,} | "
              f"{row['distinct_contexts']:,} | {row.get('saved_model_mb', '-')} | {row['train_wall_s']} |")
    return rows


if __name__ == "__main__":
    main()
