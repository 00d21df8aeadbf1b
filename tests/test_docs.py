import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="needs mkdocs (the test extra)")
def test_docs_site_builds_without_warnings(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    assert "WARNING" not in process.stderr, process.stderr[-3000:]
    assert os.path.isfile(tmp_path / "site" / "saved-model" / "index.html")


# --- The lists in the docs are the code's (recipes/docs_lists.py) ---------------------------------

import argparse
import contextlib
import glob
import io
import re
import shlex

from recipes import docs_lists

# Pages whose every `kerazoo ...` example and `--flag` is checked against the command's parser.
COMMAND_PAGES = ("README.md", *sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def test_generated_lists_match_the_registry_and_the_parser():
    stale = docs_lists.stale_blocks()
    assert not stale, "\n".join(
        f"{path}: the generated block {name!r} is stale; run `{docs_lists.COMMAND}`" for path, name in stale
    )


def test_every_file_with_generated_blocks_has_them_all_closed():
    for path in docs_lists.FILES:
        text = read(path)
        assert text.count("<!-- generated: ") == text.count(docs_lists.END) > 0, path


def test_check_mode_names_the_stale_file_and_block_and_the_command(tmp_path, capsys, monkeypatch):
    (tmp_path / "docs").mkdir()
    page = os.path.join("docs", "page.md")
    (tmp_path / page).write_text("Intro.\n\n<!-- generated: models -->\n| an old list |\n<!-- end generated -->\n")
    assert docs_lists.stale_blocks(root=str(tmp_path), files=(page,)) == [(page, "models")]
    monkeypatch.setattr(docs_lists, "ROOT", str(tmp_path))
    monkeypatch.setattr(docs_lists, "FILES", (page,))
    assert docs_lists.main(["--check"]) == 1
    message = f"{page}: the generated block 'models' is stale; run `python recipes/docs_lists.py`"
    assert message in capsys.readouterr().out
    assert docs_lists.main([]) == 0
    text = (tmp_path / page).read_text()
    assert text.startswith("Intro.\n\n<!-- generated: models -->\n| `MODEL` |") and "| an old list |" not in text
    assert "| `hmm` | hmm |" in text
    assert docs_lists.main(["--check"]) == 0


def test_an_unclosed_or_unknown_block_is_refused():
    with pytest.raises(ValueError, match="has no `<!-- end generated -->`"):
        docs_lists.rewrite("<!-- generated: models -->\ntext\n", "x.md")
    with pytest.raises(ValueError, match="unknown generated block 'nope'"):
        docs_lists.rewrite("<!-- generated: nope -->\n<!-- end generated -->\n", "x.md")


def test_a_family_registered_later_appears_in_every_list():
    from kerazoo.models.family import Family
    from kerazoo.models.registry import FAMILIES
    from kerazoo.models.registry import register_family
    from kerazoo.models.registry import unregister_family

    def build_toy(vocabulary_size):
        """A toy model."""

    class ToyFamily(Family):
        name = "toy_docs"
        description = "A family registered by a test."
        builders = {"toy_docs_model": build_toy}
        configs = {"toy-small": {"description": "small", "model": "toy_docs_model", "model_kwargs": {}, "training": {}}}
        capabilities = ("generate",)

    register_family(ToyFamily())
    try:
        families = docs_lists.block_families("README.md")
        assert "| toy_docs | A family registered by a test. | `toy_docs_model` |" in families
        assert families.endswith("| `kerazoo generate` | none: `kerazoo train toy_docs_model` makes one |")
        assert "| `toy_docs_model` | toy_docs | `toy-small` |" in docs_lists.block_models("docs/cli.md")
        shipping = len(docs_lists.shipped_by_family())
        presets = docs_lists.block_trained_presets("README.md")
        assert f"{shipping} of the {len(FAMILIES)} families" in presets
        assert "`kerazoo train toy_docs_model`" in presets
    finally:
        unregister_family("toy_docs")


def test_the_readme_says_which_families_ship_no_weights():
    from kerazoo.models.presets import shipped_presets
    from kerazoo.models.registry import FAMILIES

    shipping = {card["family"] for card in shipped_presets().values()}
    text = read("README.md")
    for family in FAMILIES:
        row = next(line for line in text.splitlines() if line.startswith(f"| [{family.name}]("))
        ships_none = row.endswith(f"| none: `kerazoo train {family.models[0]}` makes one |")
        assert ships_none == (family.name not in shipping), row
    if shipping != {family.name for family in FAMILIES}:
        assert "Every family ships trained weights" not in text


def kerazoo_parser():
    from kerazoo.cli import build_parser

    return build_parser()


def test_every_command_appears_in_the_cli_page():
    text = read("docs/cli.md")
    names = [name for name, _, _ in docs_lists.subcommands(kerazoo_parser())]
    assert {"list", "train", "generate", "translate", "embed", "evaluate", "schedule", "export", "serve"} <= set(names)
    for name in names:
        assert f"| `kerazoo {name}` |" in text and f"\nkerazoo {name}" in text, name


def fenced_blocks(text):
    """[(language, body)] of the fenced code blocks of a markdown text."""
    blocks, language, body = [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if language is None:
                language, body = line[3:].strip(), []
            else:
                blocks.append((language, "\n".join(body)))
                language = None
        elif language is not None:
            body.append(line)
    return blocks


def documented_command_lines(path):
    """Each `kerazoo ...` command in the shell blocks of a page, as argument lists."""
    for language, block in fenced_blocks(read(path)):
        if language not in ("bash", "sh", "console", ""):
            continue
        for line in block.replace("\\\n", " ").splitlines():
            try:
                words = shlex.split(line, comments=True)
            except ValueError:
                continue
            command = []
            for word in words + [";"]:
                if word in ("&&", "||", ";", "|"):
                    while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", command[0]):
                        command.pop(0)
                    if command[:1] == ["kerazoo"]:
                        yield line.strip(), command[1:]
                    command = []
                else:
                    command.append(word)


def test_every_documented_command_parses_and_names_real_presets():
    from kerazoo.models.presets import shipped_presets
    from kerazoo.models.registry import family_of_model

    parser, shipped, failures, seen = kerazoo_parser(), shipped_presets(), [], 0
    for path in COMMAND_PAGES:
        for line, argv in documented_command_lines(path):
            seen += 1
            errors = io.StringIO()
            try:
                with contextlib.redirect_stderr(errors):
                    args = parser.parse_args(argv)
            except SystemExit:
                failures.append(f"{path}: `{line}`: {errors.getvalue().strip().splitlines()[-1]}")
                continue
            preset = getattr(args, "config" if args.command == "train" else "preset", None)
            if preset is None:
                continue
            known = family_of_model(args.model).configs if args.command == "train" else shipped
            if preset not in known:
                failures.append(f"{path}: `{line}`: no preset {preset!r} (known: {sorted(known)})")
    assert seen > 30
    assert not failures, "\n".join(failures)


def all_options(parser):
    """Every option string of a parser and of all its subparsers, at any depth."""
    found = set()
    for action in parser._actions:
        found.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= all_options(sub)
    return found


OTHER_PROGRAMS = r"(pip|python|curl|mkdocs|tensorboard|docker)\b"


def test_every_flag_the_generated_pages_name_is_an_option_of_kerazoo():
    options = all_options(kerazoo_parser())
    for path in docs_lists.FILES:
        text = read(path)
        # Flags of other programs (`tensorboard --logdir`, `pip install -e`) are theirs.
        text = re.sub(r"`" + OTHER_PROGRAMS + r"[^`]*`", "", text)
        text = re.sub(r"(?m)^" + OTHER_PROGRAMS + r".*$", "", text)
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
        assert named - options == set(), path


def test_the_home_page_links_every_page_of_the_site():
    import yaml

    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as f:
        nav = yaml.safe_load(f)["nav"]
    pages = [page for entry in nav for page in entry.values()]
    index = read("docs/index.md")
    missing = [page for page in pages if page != "index.md" and f"]({page})" not in index]
    assert not missing


# --- The leaderboard page and picture come from the stored results --------------------------------


@pytest.fixture(scope="module")
def leaderboard():
    spec = importlib.util.spec_from_file_location("leaderboard", os.path.join(ROOT, "benchmarks", "leaderboard.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_leaderboard_page_is_rendered_from_the_stored_results(leaderboard, tmp_path, monkeypatch):
    monkeypatch.setattr(leaderboard, "PAGE", str(tmp_path / "leaderboard.md"))
    rows = leaderboard.read_lines(leaderboard.RESULTS)
    leaderboard.render(rows, leaderboard.read_lines(leaderboard.CONTEXTS))
    assert (tmp_path / "leaderboard.md").read_text(encoding="utf-8") == read("docs/leaderboard.md"), (
        "docs/leaderboard.md is stale; run `python benchmarks/leaderboard.py --render`"
    )
    for r in rows:
        if r["source"].startswith("preset"):
            assert f"{r['source'].split(' ', 1)[1]} {r['train_wall_s'] / 60:.0f} minutes" in read("docs/leaderboard.md")


def test_no_leaderboard_label_overlaps_another_label_or_point(leaderboard):
    pytest.importorskip("matplotlib")
    rows = leaderboard.read_lines(leaderboard.RESULTS)
    figure = leaderboard.draw(rows)
    figure.canvas.draw()  # places each label at its offset
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    labels = axes.texts
    assert [t.get_text() for t in labels] == [r["model"].split(" (")[0] for r in rows]
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t, renderer) for t in labels]  # the text alone, without its leader line
    frame = axes.get_window_extent(renderer)
    points = axes.transData.transform([(r["parameters"], r["bits_per_char"]) for r in rows])
    for i, box in enumerate(boxes):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, labels[i]
        for j, other in enumerate(boxes[i + 1:], i + 1):
            assert not box.overlaps(other), (labels[i].get_text(), labels[j].get_text())
        for j, (x, y) in enumerate(points):
            assert not box.padded(2).contains(x, y), (labels[i].get_text(), rows[j]["model"])
