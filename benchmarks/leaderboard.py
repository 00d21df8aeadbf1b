"""One leaderboard of every language model in the zoo, all measured on tiny_shakespeare's nanoGPT val split.

    python benchmarks/leaderboard.py            # measure every row; write benchmarks/results/leaderboard.jsonl,
                                                # docs/leaderboard.md and docs/images/leaderboard.png
    python benchmarks/leaderboard.py --check    # measure again and compare with the published rows
    python benchmarks/leaderboard.py --render   # only rewrite the page and the picture from the JSON lines

Every model trains on the first 1,003,854 characters of tiny_shakespeare
(nanoGPT's train split) and is scored on the last 111,540 (nanoGPT's val
split). The baselines (n-grams by counting, HMMs by a fixed number of Adam
steps) are trained here, in this run, through the same runner as `kerazoo
train`. The neural models are the zoo's shipped presets, loaded with
`kerazoo.from_preset`: their figure is their model card's, which
`family.measure` took on the same split when the preset was published
(`--check` measures them again), and their training wall time, hardware and
date come from the card too. Set KERAZOO_TINY_SHAKESPEARE to the file, or keep
the default ../shared/data/tinyshakespeare/input.txt.

The rows land in benchmarks/results/leaderboard.jsonl, and the page is made
from those lines only.
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results", "leaderboard.jsonl")
CONTEXTS = os.path.join(HERE, "results", "leaderboard_contexts.jsonl")
PAGE = os.path.join(ROOT, "docs", "leaderboard.md")
PICTURE = os.path.join(ROOT, "docs", "images", "leaderboard.png")
TINY_SHAKESPEARE = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare", "input.txt")

HELDOUT = {"corpus": "tiny_shakespeare", "split": "heldout"}
TRAINING = {"corpus": "tiny_shakespeare", "validation_split": "heldout", "seed": 0, "verbose": 0}
PROMPT = "ROMEO:\n"
TEMPERATURE = 0.8
SAMPLE_LENGTH = 200

# (row name, how it is made). "train": a configuration trained here by the runner; "preset": a shipped preset.
# The HMMs train a fixed number of Adam steps (not a time budget), so that a rerun gives the same model.
BASELINES = [
    *[(f"{order}-gram (char, interpolated Kneser-Ney)",
       {"model": "ngram", "model_kwargs": {"order": order, "smoothing": "kn"}, "unit": "char"}) for order in range(1, 7)],
    ("HMM, 64 states (gradient, 100 steps)", {"preset": "hmm-64-gradient", "epochs": 4, "steps_per_epoch": 25}),
    ("HMM, 256 states (gradient, 50 steps)", {"preset": "hmm-256-gradient", "epochs": 2, "steps_per_epoch": 25}),
]
PRESETS = [
    ("SimpleRNN-64, T=50 (the lectures')", "shakespeare-rnn-lecture"),
    ("LSTM 2x512", "shakespeare-lstm"),
    ("GRU 2x512", "shakespeare-gru"),
    ("GPT, 6 layers x 256, context 128", "shakespeare-gpt"),
]


def hardware():
    from kerazoo.training.publish import hardware as machine

    return machine()


def sample(model, vocabulary):
    from kerazoo.generation import generate_text

    return generate_text(model, vocabulary, [PROMPT], SAMPLE_LENGTH, TEMPERATURE, 0, 0)[0]


def row(name, family, model, vocabulary, measured, parameters, wall_s, machine, date, source, command):
    return {
        "model": name,
        "family": family.name,
        "nats_per_char": measured["value"],
        "bits_per_char": measured["value"] / 0.6931471805599453,
        "measure": measured["kind"],
        "parameters": parameters["count"],
        "parameters_kind": parameters["kind"],
        "train_wall_s": wall_s,
        "hardware": machine,
        "date": date,
        "source": source,
        "command": command,
        "sample": sample(model, vocabulary),
    }


def train_baseline(name, recipe, work):
    from kerazoo.models.registry import family_of_model
    from kerazoo.models.registry import resolve_config
    from kerazoo.training import load_run
    from kerazoo.training import train

    settings = {key: value for key, value in recipe.items() if key not in ("model", "model_kwargs", "preset")}
    config = resolve_config(model=recipe.get("model"), preset=recipe.get("preset"),
                            model_kwargs=recipe.get("model_kwargs"), **TRAINING, **settings)
    config["max_minutes"] = None  # a fixed amount of work, not a time budget
    output = os.path.join(work, str(len(os.listdir(work))))
    start = time.monotonic()
    train(config, output)
    wall = time.monotonic() - start
    family = family_of_model(config["model"])
    model, vocabulary = load_run(output, which="best")
    measured = {"kind": "streamed_loss", **family.measure(model, vocabulary, {"kind": "streamed_loss", "data": HELDOUT})}
    given = {**({"preset": recipe["preset"]} if "preset" in recipe else {}), **recipe.get("model_kwargs", {}), **settings}
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in given.items())
    # The run had no time budget; say so on the command line where the family has one to lift.
    budgeted = any(flag.key == "max_minutes" for flag in family.flags_for(config["model"]))
    unbounded = " --max-minutes 0" if budgeted else ""
    command = f"kerazoo train {config['model']} {flags} --corpus tiny_shakespeare --validation-split heldout{unbounded}"
    return row(name, family, model, vocabulary, measured, family.parameter_count(model), wall, hardware(),
               datetime.date.today().isoformat(), "trained in this run", command)


def measure_preset(name, preset, again=False):
    """A preset's row: its card's held-out figure (measured by `family.measure` when it was published), or
    with `again`, the same measure run now."""
    from kerazoo.models.presets import load_preset
    from kerazoo.models.registry import get_family

    model, vocabulary, card = load_preset(preset)
    family = get_family(card["family"])
    spec = {key: card["metric"][key] for key in ("kind", "data")}
    if again:
        measured = {"kind": spec["kind"], **family.measure(model, vocabulary, spec)}
    else:
        measured = {"kind": spec["kind"], "value": card["metric"]["value"]}
    return row(name, family, model, vocabulary, measured, family.parameter_count(model), card["training"]["wall_s"],
               card["hardware"], card["date"], f"preset `{preset}`", card["training"]["command"])


def distinct_contexts(orders=range(1, 7)):
    """The lectures' "n-gram models scale terribly with context", counted on the training split."""
    from kerazoo.data.corpora import load_corpus
    from kerazoo.models.ngram import distinct_contexts as count

    text = load_corpus("tiny_shakespeare").split("train")
    counts = count(text, max(orders), "char")
    return [{"order": order, "distinct_contexts": counts[order], "characters": len(text)} for order in orders]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_lines(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def budget_sentence(rows):
    """How long each preset trained, from its card (the rows), so that the page cannot contradict the table."""
    presets = [r for r in rows if r["source"].startswith("preset")]
    if not presets:
        return []
    machines = sorted({r["hardware"] for r in presets})
    spans = [
        f"{r['source'].split(' ', 1)[1]} {r['train_wall_s'] / 60:.0f} minutes"
        + ("" if len(machines) == 1 else f" on {r['hardware']}")
        for r in presets
    ]
    listed = ", ".join(spans[:-1]) + (" and " if len(spans) > 1 else "") + spans[-1]
    where = f" on {machines[0]}" if len(machines) == 1 else ""
    return textwrap.wrap(
        f"Each neural row is as good as its preset's training budget{where}: {listed}, short of what these "
        "models reach with more time. The [zoo](zoo.md) gives each preset's steps and budget.",
        width=105, break_on_hyphens=False, break_long_words=False,
    )


def render(rows, contexts):
    lines = [
        "# Leaderboard",
        "",
        "Every language model of the zoo on one held-out text: the last 111,540 characters of tiny_shakespeare",
        "(nanoGPT's val split), after training on the first 1,003,854. Lower is better. The n-grams and HMMs are",
        "trained by the script itself; the neural models are the shipped presets (see the [zoo](zoo.md)), with the",
        "held-out figure, training wall time, hardware and date of their model cards (`--check` measures them again).",
        "",
        "```",
        "python benchmarks/leaderboard.py          # measures every row and rewrites this page",
        "python benchmarks/leaderboard.py --check  # measures again and compares with the rows below",
        "```",
        "",
        "`streamed_loss` scores every character with all the text before it (the RNNs carry their state, the",
        "n-grams and HMMs read their own context); `windowed_loss` scores the GPT on non-overlapping windows of",
        "its context length, so a character sees on average half a window. Parameters are the trained weights,",
        "or for an n-gram model the counts it stores.",
        "",
        *budget_sentence(rows),
        "",
        "| model | bits/char | nats/char | measure | parameters | training wall time (s) | hardware | date |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in sorted(rows, key=lambda r: -r["bits_per_char"]):
        kind = "stored counts" if r["parameters_kind"] != "weights" else ""
        lines.append(
            f"| {r['model']} | {r['bits_per_char']:.3f} | {r['nats_per_char']:.4f} | {r['measure']} "
            f"| {r['parameters']:,}{' ' + kind if kind else ''} | {r['train_wall_s']:.0f} | {r['hardware']} | {r['date']} |"
        )
    lines += ["", "![bits per character against parameters](images/leaderboard.png)", ""]
    if contexts:
        lines += [
            "## How an n-gram model scales with its context",
            "",
            "Distinct contexts (the n-1 characters before a character) seen in the 1,003,854 training characters:",
            "",
            "| order | distinct contexts |",
            "| --- | --- |",
            *[f"| {c['order']} | {c['distinct_contexts']:,} |" for c in contexts],
            "",
        ]
    lines += [
        "## One sample from each",
        "",
        f"Prompt {json.dumps(PROMPT)}, temperature {TEMPERATURE}, {SAMPLE_LENGTH} characters, seed 0.",
        "",
    ]
    for r in rows:
        lines += [f"### {r['model']}", "", "```", r["sample"], "```", ""]
    lines += ["## How each row was made", ""]
    lines += [f"- {r['model']}: {r['source']}; `{r['command']}`" for r in rows]
    with open(PAGE, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def label_offsets(axes, points, labels, fontsize, renderer):
    """Where each point's label goes: `(dx, dy, leader)`, an offset in points and whether a line joins them.

    Each label tries the places next to its point (right, above, below, left), then the same places
    further out. The first whose box overlaps no label placed so far, no marker and no edge of the
    axes wins. A label next to its point must also be clearly nearer to it than to any other point,
    so that it cannot be read as another's; a label further out gets a line to its point instead,
    and keeps clear of the other points. Labels are placed from the most crowded point out, so that
    a point alone keeps the label beside it.
    """
    to_pixels = axes.transData.transform
    box = axes.get_window_extent(renderer)
    scale = axes.figure.dpi / 72
    centres = [to_pixels(point) for point in points]
    marker = 5 * scale  # half a marker's width, in pixels
    near = 10  # points; a label further out than this gets a line

    def crowd(i):
        return sorted(float(((centres[i] - centres[j]) ** 2).sum()) for j in range(len(points)) if j != i)[:2]

    def distance_to(rect, c):
        dx = max(rect[0] - c[0], 0, c[0] - rect[2])
        dy = max(rect[1] - c[1], 0, c[1] - rect[3])
        return (dx * dx + dy * dy) ** 0.5

    placed, offsets = [], [None] * len(points)
    for i in sorted(range(len(points)), key=crowd):
        probe = axes.annotate(labels[i], points[i], fontsize=fontsize)
        extent = probe.get_window_extent(renderer)
        probe.remove()
        width, height = extent.width / scale, extent.height / scale
        candidates = []
        for reach in (4, 10, 18, 28, 40, 54, 70, 90):
            candidates += [(reach, reach, -height / 2 + 1), (reach, 2, reach), (reach, 2, -reach - height),
                           (reach, -reach - width, -height / 2 + 1), (reach, reach, reach),
                           (reach, reach, -reach - height), (reach, -reach - width, reach),
                           (reach, -reach - width, -reach - height), (reach, -width / 2, reach),
                           (reach, -width / 2, -reach - height)]
        best = None
        for reach, dx, dy in candidates:
            x0, y0 = centres[i][0] + dx * scale, centres[i][1] + dy * scale
            rect = (x0 - 1, y0 - 1, x0 + width * scale + 1, y0 + height * scale + 1)
            faults = (
                (not (box.x0 <= rect[0] and rect[2] <= box.x1 and box.y0 <= rect[1] and rect[3] <= box.y1)) * 4
                + sum(not (rect[2] <= o[0] or o[2] <= rect[0] or rect[3] <= o[1] or o[3] <= rect[1])
                      for o in placed) * 2
                + sum(rect[0] - marker < c[0] < rect[2] + marker and rect[1] - marker < c[1] < rect[3] + marker
                      for c in centres)
            )
            own = distance_to(rect, centres[i])
            others = [distance_to(rect, c) for j, c in enumerate(centres) if j != i]
            if reach <= near and any(2 * own + marker >= other for other in others):
                faults += 1
            if reach > near and any(other < 3 * marker for other in others):
                faults += 1
            if best is None or faults < best[0]:
                best = (faults, rect, (dx, dy, reach > near))
            if faults == 0:
                break
        placed.append(best[1])
        offsets[i] = best[2]
    return offsets


def draw(rows):
    """The figure of bits per character against parameters, each point labelled where it can be read."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5))
    points = [(r["parameters"], r["bits_per_char"]) for r in rows]
    for r, point in zip(rows, points):
        axes.scatter(*point, marker="s" if r["parameters_kind"] != "weights" else "o", zorder=3)
    axes.set_xscale("log")
    # Room for the labels of the points at the edges.
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    axes.set_xlim(min(xs) / 2, max(xs) * 40)
    axes.set_ylim(min(ys) - 0.4, max(ys) + 0.2)
    axes.set_xlabel("parameters (n-grams: stored counts), log scale")
    axes.set_ylabel("bits per character, tiny_shakespeare val")
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    labels = [r["model"].split(" (")[0] for r in rows]
    offsets = label_offsets(axes, points, labels, 7, figure.canvas.get_renderer())
    for label, point, (dx, dy, leader) in zip(labels, points, offsets):
        line = {"arrowstyle": "-", "color": "0.5", "lw": 0.6, "shrinkA": 1, "shrinkB": 4}
        axes.annotate(label, point, xytext=(dx, dy), textcoords="offset points", fontsize=7,
                      arrowprops=line if leader else None)
    return figure


def picture(rows, path=PICTURE):
    import matplotlib.pyplot as plt

    figure = draw(rows)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def measure_all(only=None, again=False):
    rows = []
    if only in (None, "baselines"):
        with tempfile.TemporaryDirectory() as work:
            for name, recipe in BASELINES:
                rows.append(train_baseline(name, recipe, work))
                print(f"{name}: {rows[-1]['bits_per_char']:.4f} bits/char", flush=True)
    if only in (None, "presets"):
        for name, preset in PRESETS:
            rows.append(measure_preset(name, preset, again))
            print(f"{name}: {rows[-1]['bits_per_char']:.4f} bits/char", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="measure again and compare with the published rows")
    parser.add_argument("--render", action="store_true", help="only rewrite the page and picture from the JSON lines")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="bits/char a --check may differ by")
    parser.add_argument("--only", choices=("baselines", "presets"),
                        help="measure only these rows and keep the others' published lines")
    args = parser.parse_args(argv)
    os.environ.setdefault("KERAZOO_TINY_SHAKESPEARE", os.path.abspath(TINY_SHAKESPEARE))
    if args.render:
        rows = read_lines(RESULTS)
        render(rows, read_lines(CONTEXTS) if os.path.exists(CONTEXTS) else [])
        picture(rows)
        return 0
    rows = measure_all(args.only, again=args.check)
    if args.check:
        published = {r["model"]: r for r in read_lines(RESULTS)}
        failed = 0
        for r in rows:
            before = published.get(r["model"])
            same = before is not None and abs(before["bits_per_char"] - r["bits_per_char"]) <= args.tolerance
            failed += not same
            was = f"{before['bits_per_char']:.4f}" if before else "missing"
            print(f"{'ok  ' if same else 'DIFF'} {r['model']}: {r['bits_per_char']:.4f} (published {was})")
        return 1 if failed else 0
    contexts = distinct_contexts()
    if args.only and os.path.exists(RESULTS):
        names = [name for name, _ in (BASELINES if args.only == "baselines" else PRESETS)]
        rows = [r for r in read_lines(RESULTS) if r["model"] not in names] + rows
        order = [name for name, _ in BASELINES + PRESETS]
        rows.sort(key=lambda r: order.index(r["model"]) if r["model"] in order else len(order))
    write_lines(RESULTS, rows)
    write_lines(CONTEXTS, contexts)
    render(rows, contexts)
    picture(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
