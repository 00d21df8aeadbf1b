"""Writes docs/zoo.md from the model cards of the presets that ship with kerazoo (no figure is copied by hand).

    python recipes/zoo/cards.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

HEADER = """# The zoo: trained presets

{families} Each loads offline in one line:

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

All presets trained on 2 CPU cores, under the wall-time budgets of `recipes/zoo/train.py`. The
`trained` column gives each one's steps and minutes, from its card, and marks a run that its
budget stopped: such a loss is not the best the model reaches, and rerunning the recipe with a
larger `max_minutes` continues the run where it stopped. A card records the hardware but not what
else ran on it (some presets shared their 2 cores with other jobs), so compare steps, not minutes.

## How presets are stored

The weights ship in float16, half of float32's size, so that the wheel stays well under a package
index's 100 MB upload limit as families are added (`tests/test_wheel.py` builds it and checks).
Keras casts them back when it loads them: the model is float32, with its weights rounded to
float16. Every figure on this page, and every example, was measured again on the float16 weights
(`python recipes/zoo/cast.py NAME`, which `recipes/zoo/train.py` runs after it publishes a
preset); each card keeps the figure of the float32 weights beside it, as `value_float32`. A
preset whose figures move by more than its check's tolerance in float16 stays in float32, and
its card says why. {storage}
"""


def load_cards():
    root = os.path.join(ROOT, "kerazoo", "presets")
    cards = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        if name.startswith("."):
            continue  # a preset being written
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


def _families_sentence(cards):
    """Which registered families ship trained weights, and which do not (from the registry and the cards)."""
    from kerazoo.models.registry import FAMILIES

    shipped = {card["family"] for card in cards}
    with_presets = [family.name for family in FAMILIES if family.name in shipped]
    without = [family.name for family in FAMILIES if family.name not in shipped]
    sentence = f"These families ship trained weights: {_and(with_presets)}."
    if without:
        sentence += (f" The {_and(without)} {'family ships' if len(without) == 1 else 'families ship'} "
                     "none: train one with `kerazoo train MODEL`.")
    return sentence


def _and(names):
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _storage_sentence(cards):
    float32 = [f"`{card['name']}` ({card.get('weights_note', 'not cast yet')})" for card in cards
               if card.get("weights_dtype", "float32") != "float16"]
    if not float32:
        return "Every preset below ships in float16."
    return f"In float32: {'; '.join(float32)}."


def _trained(training):
    budget = training.get("run_config", {}).get("max_minutes")
    stopped = f", stopped by its {budget:g}-minute budget" if training.get("stopped_by_time_budget") and budget else ""
    return f"{training['steps']:,} steps, {training['wall_s'] / 60:.0f} min{stopped}"


def _change(value, float32):
    if value == float32:
        return "as in float32"
    return f"{value - float32:+.1e} from float32's {float32:.4f}"


def _weights(card):
    dtype = card.get("weights_dtype", "float32")
    if dtype == "float32":
        return f"float32 on disk. {card.get('weights_note', '')}".strip()
    figures = "; ".join(
        f"{key} {card[key]['value']:.4f}, {_change(card[key]['value'], card[key]['value_float32'])}"
        for key in ("metric", "check") if "value_float32" in card[key]
    )
    cast = card.get("weights_cast", {})
    return f"{dtype} on disk, measured again after the cast ({figures}; {cast.get('date', 'date not recorded')})."


def render(cards):
    header = HEADER.replace("{families}", _families_sentence(cards)).replace("{storage}", _storage_sentence(cards))
    lines = [header, "| preset | family / model | held-out metric | check | parameters | size | trained | hardware, date |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for card in cards:
        training = card["training"]
        lines.append(
            f"| `{card['name']}` | {card['family']} / {card['model']} | {_metric(card)} | "
            f"{card['check']['value']:.4f} | {card['parameters']:,} | {card['size_bytes'] / 1e6:.1f} MB | "
            f"{_trained(training)} | {card['hardware']}, {card['date']} |"
        )
    lines.append("")
    for card in cards:
        lines += [f"## `{card['name']}`", "", card["description"], "", f"- Data: {card['data']}.",
                  f"- Metric: {_metric(card)}, on {json.dumps(card['metric']['data'])}.",
                  f"- Check: {card['check']['kind']} {card['check']['value']:.4f} on {json.dumps(card['check']['data'])}"
                  f" (the tests allow ±{card['check']['tolerance']}).",
                  f"- Weights: {_weights(card)}",
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
