"""Writes the lists of families, models, commands and trained presets in the docs from the code.

    python recipes/docs_lists.py           # rewrite every generated block
    python recipes/docs_lists.py --check   # change nothing; exit 1 naming each stale block

A generated block is the text between two marker lines:

    <!-- generated: families -->
    ...
    <!-- end generated -->

Its content comes from the registry of families (`kerazoo.models.registry.FAMILIES`),
the shipped presets' model cards (`kerazoo.models.presets.shipped_presets`) and the
parser of the `kerazoo` command (`kerazoo.cli.build_parser`), so a family, a preset
or a command added to the code appears in the docs at the next run, and
tests/test_docs.py fails while a block is stale. The text around the blocks is
written by hand. Nothing here imports TensorFlow.
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The files that hold generated blocks, relative to ROOT.
FILES = ("README.md", os.path.join("docs", "cli.md"), os.path.join("docs", "index.md"))
COMMAND = "python recipes/docs_lists.py"

BEGIN = re.compile(r"^<!-- generated: ([a-z0-9-]+) -->$")
END = "<!-- end generated -->"

# The page that documents a family, where it is not docs/<family>.md. A family without a page of
# its own is listed without a link.
FAMILY_PAGES = {
    "char_rnn": "char-models.md",
    "gpt": "attention.md",
    "transformer": "attention.md",
    "seq2seq": "attention.md",
    "t5": "transfer.md",
}


# --- What the code says -------------------------------------------------------------------------


def families():
    from kerazoo.models.registry import FAMILIES

    return list(FAMILIES)


def training_configurations(family, model):
    """[(name, is the default)] of the training configurations of `model` (`kerazoo train MODEL --preset NAME`)."""
    return [
        (name, name == family.default_config and model == family.default_model)
        for name, configuration in family.configs.items()
        if configuration["model"] == model
    ]


def shipped_by_family():
    """{family name: [shipped preset names]}, from the cards of the presets in the package."""
    from kerazoo.models.presets import shipped_presets

    found = {}
    for name, card in shipped_presets().items():
        found.setdefault(card["family"], []).append(name)
    return found


def builder_path(builder):
    """The shortest public import of a builder: `build_lstm` from `kerazoo`, else its family package."""
    import importlib

    module = builder.__module__
    parts = module.split(".")
    candidates = ["kerazoo"] + [".".join(parts[:i]) for i in range(3, len(parts) + 1)]
    for candidate in candidates:
        if getattr(importlib.import_module(candidate), builder.__name__, None) is builder:
            return builder.__name__ if candidate == "kerazoo" else f"{candidate}.{builder.__name__}"
    return f"{module}.{builder.__name__}"


def family_page(family):
    """The docs page of a family (relative to docs/), or None."""
    for page in (FAMILY_PAGES.get(family.name), f"{family.name}.md", f"{family.name.replace('_', '-')}.md"):
        if page and os.path.isfile(os.path.join(ROOT, "docs", page)):
            return page
    return None


def subcommands(parser):
    """[(name, help, subparser)] of an argparse parser, in the order they were added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            return [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return []


def kerazoo_parser():
    from kerazoo.cli import build_parser

    return build_parser()


# --- Text ----------------------------------------------------------------------------------------


def code(items):
    return ", ".join(f"`{item}`" for item in items)


def and_list(items):
    """`a`, `a and b`, `a, b and c`."""
    items = list(items)
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def link(target, path):
    """`target` (a path under docs/) as seen from the file at `path` (relative to ROOT)."""
    return os.path.relpath(os.path.join("docs", target), os.path.dirname(path) or ".").replace(os.sep, "/")


def argument_usage(action):
    """One argument as a synopsis writes it: `--top-k TOP_K`, `[SOURCE]`, `TEXT [TEXT ...]`."""
    if action.option_strings:
        flag = max(action.option_strings, key=len)
        if action.nargs == 0:
            text = flag
        else:
            metavar = action.metavar or (
                "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper()
            )
            text = f"{flag} {metavar}"
        return text if action.required else f"[{text}]"
    metavar = action.metavar or action.dest.upper()
    if action.nargs == "?":
        return f"[{metavar}]"
    if action.nargs == "+":
        return f"{metavar} [{metavar} ...]"
    return metavar


def usage(parser):
    """The arguments of a parser without `-h`, a list of words (argparse's own usage wraps by the terminal's width)."""
    words = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            shared = None
            for sub in action.choices.values():
                flags = [argument_usage(a) for a in sub._actions if not isinstance(a, argparse._HelpAction)]
                shared = flags if shared is None else [flag for flag in shared if flag in flags]
            words += [action.metavar or action.dest.upper(), *(shared or []),
                      f"[{action.metavar or action.dest.upper()}'s flags ...]"]
            continue
        words.append(argument_usage(action))
    return words


def wrap(words, width=100, indent="    "):
    """Words joined into lines of at most `width` characters where they fit, breaking only between words."""
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) > width:
            lines.append(indent + word)
        else:
            lines[-1] += " " + word
    return lines


def cell(text):
    """Text for a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


# --- The blocks ----------------------------------------------------------------------------------


def block_families(path):
    """A table of the registered families: models, builders, what they do, trained presets."""
    shipped = shipped_by_family()
    lines = [
        "| family | what it is | `kerazoo train MODEL` | builders | does | trained presets |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for family in families():
        page = family_page(family)
        name = f"[{family.name}]({link(page, path)})" if page else family.name
        presets = code(shipped.get(family.name, [])) or f"none: `kerazoo train {family.models[0]}` makes one"
        lines.append(
            f"| {name} | {cell(family.description)} | {code(family.models)} "
            f"| {code(builder_path(b) for b in family.builders.values())} "
            f"| {code(f'kerazoo {c}' for c in family.capabilities)} | {presets} |"
        )
    return "\n".join(lines)


def block_trained_presets(path):
    """One paragraph: which families ship trained weights, and which ship none."""
    shipped = shipped_by_family()
    names = [family.name for family in families()]
    with_weights = [name for name in names if shipped.get(name)]
    without = [name for name in names if not shipped.get(name)]
    zoo = link("zoo.md", path)
    if not without:
        return (f"Every family ships trained weights inside the package ([the zoo]({zoo})); they load offline, "
                "with no training:")
    count = sum(len(shipped[name]) for name in with_weights)
    commands = and_list(f"`kerazoo train {family.models[0]}`" for family in families() if family.name in without)
    ones = and_list(code([name]) for name in without)
    return (
        f"{len(with_weights)} of the {len(names)} families ship trained weights inside the package, {count} "
        f"presets in all ([the zoo]({zoo})), and they load offline, with no training. The {ones} "
        f"{'family ships' if len(without) == 1 else 'families ship'} none: {commands} "
        f"{'trains' if len(without) == 1 else 'train'} one."
    )


def block_models(path):
    """`MODEL` of `kerazoo train MODEL`, by family, with its training configurations."""
    lines = [
        "| `MODEL` | family | training configurations (`--config NAME`) |",
        "| --- | --- | --- |",
    ]
    for family in families():
        for model in family.models:
            names = [f"`{name}` (the default)" if default else f"`{name}`"
                     for name, default in training_configurations(family, model)]
            lines.append(f"| `{model}` | {family.name} | {', '.join(names) or 'none'} |")
    return "\n".join(lines)


def block_commands(path):
    """Every command of `kerazoo`, what it does, and its arguments, from the parser."""
    parser = kerazoo_parser()
    commands = subcommands(parser)
    globals_ = " ".join(argument_usage(a) for a in parser._actions
                        if a.option_strings and not isinstance(a, argparse._HelpAction))
    lines = ["| command | what it does |", "| --- | --- |"]
    lines += [f"| `kerazoo {name}` | {cell(text)} |" for name, text, _ in commands]
    lines += ["", "```text", f"kerazoo {globals_} COMMAND ..."]
    for name, _, sub in commands:
        lines += wrap([f"kerazoo {name}", *usage(sub)])
    lines += ["```"]
    return "\n".join(lines)


def block_command_names(path):
    """One sentence naming every command, with a link to the page that gives their arguments."""
    names = code(f"kerazoo {name}" for name, _, _ in subcommands(kerazoo_parser()))
    return f"The commands are {names}; [the CLI page]({link('cli.md', path)}) gives each one's arguments."


BLOCKS = {
    "families": block_families,
    "trained-presets": block_trained_presets,
    "models": block_models,
    "commands": block_commands,
    "command-names": block_command_names,
}


# --- Rewriting the files -------------------------------------------------------------------------


def rewrite(text, path):
    """`text` with each generated block made again; raises ValueError for an unknown or unclosed block."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        out.append(lines[i])
        match = BEGIN.match(lines[i])
        i += 1
        if not match:
            continue
        name = match.group(1)
        if name not in BLOCKS:
            raise ValueError(f"{path}: unknown generated block {name!r}; known: {sorted(BLOCKS)}")
        end = next((j for j in range(i, len(lines)) if lines[j] == END), None)
        if end is None:
            raise ValueError(f"{path}: the generated block {name!r} has no `{END}` line")
        out += BLOCKS[name](path).split("\n")
        out.append(END)
        i = end + 1
    return "\n".join(out)


def blocks_of(text):
    """{name: content} of the generated blocks in `text`."""
    found = {}
    for match in re.finditer(r"^<!-- generated: ([a-z0-9-]+) -->\n(.*?)^<!-- end generated -->$", text, re.M | re.S):
        found.setdefault(match.group(1), []).append(match.group(2))
    return found


def stale_blocks(root=None, files=None):
    """[(file, block name)] of every generated block whose text differs from what the code gives."""
    root, files, stale = root or ROOT, files or FILES, []
    for path in files:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        now, fresh = blocks_of(text), blocks_of(rewrite(text, path))
        stale += [(path, name) for name in now if now[name] != fresh[name]]
    return stale


def write_all(root=None, files=None):
    """Rewrites the blocks of `files`; returns the files that changed."""
    root, files, changed = root or ROOT, files or FILES, []
    for path in files:
        full = os.path.join(root, path)
        with open(full, encoding="utf-8") as f:
            text = f.read()
        new = rewrite(text, path)
        if new != text:
            with open(full, "w", encoding="utf-8") as f:
                f.write(new)
            changed.append(path)
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_blocks()
        for path, name in stale:
            print(f"{path}: the generated block {name!r} is stale; run `{COMMAND}`")
        return 1 if stale else 0
    for path in write_all():
        print(f"rewrote {path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    sys.exit(main())
