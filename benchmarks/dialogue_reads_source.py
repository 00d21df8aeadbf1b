"""Does a model fine-tuned on the `dialogue` task read the speech it replies to?

    python benchmarks/dialogue_reads_source.py                  # seed 1, 1,000 pairs, pretrained and scratch

Trains the recipe's run again (`recipes/transfer_span_corruption.py --task
dialogue`: same settings, so the same held-out loss), then scores the same 500
held-out replies three ways, teacher-forced: with the speech each answers, with
another test pair's speech (the next one, cyclically), and with a blank
speech. A model that reads its source loses more when the speech is wrong.
Writes benchmarks/results/dialogue_reads_source.json.
"""

import argparse
import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def measure(condition, seed, size):
    sys.path.insert(0, os.path.join(ROOT, "recipes"))
    import transfer_span_corruption as recipe

    from kerazoo.models.seq2seq_lm import load_pairs
    from kerazoo.models.seq2seq_lm import teacher_forced_loss
    from kerazoo.training import train

    config = recipe.run_config(size, seed, condition, recipe.architecture(recipe.PRESET),
                               settings={**recipe.SETTINGS, "task": "dialogue"})
    model, vocabulary, metrics = train(config, None)
    _, test = load_pairs(config)
    another = [(test[(i + 1) % len(test)][0], target) for i, (_, target) in enumerate(test)]
    blank = [(" ", target) for _, target in test]
    return {"recipe_test_loss": metrics["test_loss"], "true_source": teacher_forced_loss(model, vocabulary, test),
            "another_source": teacher_forced_loss(model, vocabulary, another),
            "blank_source": teacher_forced_loss(model, vocabulary, blank)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=1000, choices=(1000, 10000))
    parser.add_argument("--conditions", nargs="+", default=["pretrained", "scratch"],
                        choices=("pretrained", "pretrained-embeddings", "scratch"))
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "dialogue_reads_source.json"))
    args = parser.parse_args(argv)
    from kerazoo.training.publish import hardware

    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "hardware": hardware(), "seed": args.seed, "size": args.size, "conditions": {}}
    for condition in args.conditions:
        report["conditions"][condition] = measure(condition, args.seed, args.size)
        print(condition, report["conditions"][condition], flush=True)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
