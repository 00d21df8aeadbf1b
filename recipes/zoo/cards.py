"""Writes docs/zoo.md from the model cards of the presets that ship with kerazoo (no figure is copied by hand).

    python recipes/zoo/cards.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

HEADER = """# The zoo: trained presets

Every family ships trained weights that load offline in one line:

```python
import kerazoo
model = kerazoo.from_preset("shakespeare-gru")          # the model, with model.vocabulary
from kerazoo.generation import generate_text
print(generate_text(model, model.vocabulary, "ROMEO:\\n", 300, temperature=0.8))
```

```bash
kerazoo list                                                    # the presets and their figures
kerazoo generate --preset shakespeare-gpt --prompt "ROMEO:" --length 300
kerazoo translate --preset dates-transformer "Saturday, July 20, 1969"
kerazoo embed --preset plays-word2vec king
kerazoo evaluate --preset shakespeare-gru                       # measure it again, beside its card
kerazoo export --preset shakespeare-gpt                         # saved_models/shakespeare-gpt/<version>/
```

A preset is a folder laid out as KerasHub's: `config.json` (the model, as Keras serializes it),
`model.weights.h5`, `vocabulary.json` and `metadata.json`, the model card. The card records the
family, the architecture, the data and its split, the held-out metric and its value, the
parameters, the size and the sha256 of every file, the command that trained it, its wall time,
the hardware, the date and the kerazoo version. Loading checks every sha256 before it opens a file,
and rebuilds the model in Keras's safe mode, so a preset runs no code of its own.
`kerazoo.from_preset` also takes the path of any preset folder, or of a run folder.

The table below is made from the cards by `python recipes/zoo/cards.py`. Each metric is on data
the preset never trained on, and figures on different data are not compared. The char models
and the GPT are measured on tiny_shakespeare's last 111,540 characters (nanoGPT's val split);
`kerazoo evaluate` reads that file from `KERAZOO_TINY_SHAKESPEARE`. The `check` column is a small
measure that needs no download (the opening of Hamlet, which tiny_shakespeare does not hold, or a
slice of the held-out set); the tests repeat it for every preset.

All presets trained on 2 CPU cores, under the wall-time budgets of `recipes/zoo/train.py`.
`shakespeare-lstm` (70 minutes) and `plays-elmo` (20 minutes) trained on a quiet machine. The
others trained on the same kind of machine while five other jobs shared it (a load average of 5
to 20; the dates models took 33 and 42 minutes where a quiet run takes 12 and 7). The GRU, the
SimpleRNN and the GPT had 8 to 10 minutes there, so their losses are far above what these models
reach with time: rerun the recipe with a larger `max_minutes` and the run continues where it
stopped.
"""


def load_cards():
    root = os.path.join(ROOT, "kerazoo", "presets")
    cards = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, name, "metadata.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                cards.append(json.load(f))
    return cards


def _metric(card):
    metric = card["metric"]
    target = metric.get("target")
    if target is None:
        verdict = "reported"
    else:
        sign = "≤" if metric["better"] == "lower" else "≥"
        verdict = f"target {sign} {target}: {'met' if metric.get('met') else '**not met**'}"
    unit = f" {metric['unit']}" if metric.get("unit") else ""
    return f"{metric['kind']} **{metric['value']:.4f}**{unit} ({verdict})"


def render(cards):
    lines = [HEADER, "| preset | family / model | held-out metric | check | parameters | size | trained | hardware, date |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for card in cards:
        training = card["training"]
        wall = training.get("wall_s")
        lines.append(
            f"| `{card['name']}` | {card['family']} / {card['model']} | {_metric(card)} | "
            f"{card['check']['value']:.4f} | {card['parameters']:,} | {card['size_bytes'] / 1e6:.1f} MB | "
            f"{training['steps']:,} steps, {wall / 60:.0f} min | {card['hardware']}, {card['date']} |"
        )
    lines.append("")
    for card in cards:
        lines += [f"## `{card['name']}`", "", card["description"], "", f"- Data: {card['data']}.",
                  f"- Metric: {_metric(card)}, on {json.dumps(card['metric']['data'])}.",
                  f"- Check: {card['check']['kind']} {card['check']['value']:.4f} on {json.dumps(card['check']['data'])}"
                  f" (the tests allow ±{card['check']['tolerance']}).",
                  f"- Reproduce: `{card['training']['command']}`",
                  f"- Backend {card['training'].get('backend')}, Keras {card.get('keras_version')}, "
                  f"kerazoo {card['kerazoo_version']}.", ""]
        example = card.get("example") or {}
        if example:
            lines += ["Example:", "", "```", f"in:  {json.dumps(example.get('input'), ensure_ascii=False)}"]
            output = example.get("output")
            lines += ["out:", output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, indent=1)]
            lines += ["```", ""]
    return "\n".join(lines)


def main():
    text = render(load_cards())
    path = os.path.join(ROOT, "docs", "zoo.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(path)


if __name__ == "__main__":
    main()
