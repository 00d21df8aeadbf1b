"""Skip-gram vectors of the complete plays, chosen word pairs in 2-D PCA (the lectures' figure).

Trains word2vec with the default (`fast`) preset on the plays as words, then
projects the unit vectors of male/female pairs (king/queen, lord/lady, ...)
on their first two principal components, with an arrow from each first word
to its partner. Mikolov et al. (2013b, fig. 2) draw countries and capitals
this way; in Shakespeare the pairs are of rank and family.

Writes docs/images/word2vec_pca.png and prints the nearest words of a few
queries.

    python recipes/word2vec_pca.py
    python recipes/word2vec_pca.py --vectors runs/word2vec/vectors.bin  # a trained run instead
"""

import argparse
import os

from kerazoo.models.word2vec import KeyedVectors
from kerazoo.models.word2vec.word2vec_plots import plot_word_pairs
from kerazoo.training import resolve_word2vec_config
from kerazoo.training import train_word2vec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURE = os.path.join(ROOT, "docs", "images", "word2vec_pca.png")
PAIRS = [
    ("king", "queen"),
    ("lord", "lady"),
    ("man", "woman"),
    ("father", "mother"),
    ("son", "daughter"),
    ("brother", "sister"),
    ("husband", "wife"),
    ("sir", "madam"),
    ("he", "she"),
    ("his", "her"),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", help="a word2vec binary file (a run's vectors.bin); default: train now")
    parser.add_argument("--corpus", default="shakespeare")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=FIGURE)
    args = parser.parse_args(argv)
    if args.vectors:
        vectors = KeyedVectors.load_word2vec_format(args.vectors, binary=True)
    else:
        config = resolve_word2vec_config(corpus=args.corpus, seed=args.seed, verbose=0)
        _, _, vectors, _ = train_word2vec(config)
    pairs = [pair for pair in PAIRS if pair[0] in vectors and pair[1] in vectors]
    plot_word_pairs(vectors, pairs, args.output)
    print(f"wrote {args.output}")
    for word in ("king", "romeo", "love", "sword"):
        if word in vectors:
            print(f"{word}: " + ", ".join(w for w, _ in vectors.most_similar(word, topn=6)))
    if all(w in vectors for w in ("man", "king", "woman")):
        print("man : king :: woman : " + vectors.analogy("man", "king", "woman", topn=3)[0][0])
    return vectors


if __name__ == "__main__":
    main()
