"""The `kerazoo` command's parser, built from the registry of families.

`kerazoo train MODEL` has a subparser per model of every registered family,
with that family's flags; `kerazoo embed` takes the options families declare
for it; `kerazoo export --limit` names the registered limits.
"""

import argparse

from kerazoo.cli.commands import cmd_evaluate
from kerazoo.cli.commands import cmd_export
from kerazoo.cli.commands import cmd_list
from kerazoo.cli.commands import cmd_schedule
from kerazoo.cli.commands import cmd_serve
from kerazoo.cli.commands import cmd_train
from kerazoo.cli.options import add_command_options
from kerazoo.cli.options import add_family_flags
from kerazoo.cli.options import add_flag
from kerazoo.cli.options import positive_int
from kerazoo.cli.options import positive_seconds
from kerazoo.cli.quickstart import cmd_quickstart
from kerazoo.cli.using import cmd_embed
from kerazoo.cli.using import cmd_family_command
from kerazoo.cli.using import cmd_generate
from kerazoo.cli.using import cmd_translate

DESCRIPTION = "The `kerazoo` command: list, train, generate, export, schedule, and the quickstart main job."
DEFAULT_SAVED_MODELS = "saved_models"


def _text_command(commands, name, func, help, text_help, inputs=True):
    """A command that applies a trained model (a preset or a run folder) to texts given on the command line
    (or, with `inputs` False, to what it reads itself)."""
    parser = commands.add_parser(name, help=help)
    if inputs:
        parser.add_argument("text", nargs="+", help=text_help)
    parser.add_argument("--preset", help="a trained preset (see `kerazoo list`)")
    parser.add_argument("--source", help="or a run folder")
    parser.add_argument("--checkpoint", choices=["best", "final"], default="best")
    parser.set_defaults(func=func)
    return parser


def add_family_commands(commands, families):
    """The commands families add (`FamilyCommand`), each with the shared front of `_text_command`."""
    for family in families:
        for command in family.commands:
            parser = _text_command(commands, command.name, cmd_family_command, command.help, command.inputs_help,
                                   inputs=command.inputs is not None)
            parser.set_defaults(family_command=command)
            for flag in command.options:
                add_flag(parser, flag)


def build_parser():
    from kerazoo.models.registry import FAMILIES
    from kerazoo.signatures.context import registered_limits

    parser = argparse.ArgumentParser(prog="kerazoo", description=DESCRIPTION)
    parser.add_argument("--verbose", dest="native_logs", action="store_true",
                        help="also print TensorFlow's native (C++) log lines, which are hidden otherwise")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("list", help="show the models, training configurations and presets").set_defaults(func=cmd_list)

    train = commands.add_parser("train", help="train a model with model.fit (or its family's own fit)")
    models = train.add_subparsers(dest="model", required=True, metavar="MODEL")
    for family in FAMILIES:
        for model in family.models:
            model_parser = models.add_parser(model, help=f"[{family.name}] {family.description}")
            add_family_flags(model_parser, family, model)
    train.set_defaults(func=cmd_train)

    generate = commands.add_parser(
        "generate", help="generate text (or translate, for seq2seq models) from a preset, a run folder or a SavedModel"
    )
    generate.add_argument("source", nargs="?", help="a run folder, a SavedModel version folder, or saved_models/NAME")
    generate.add_argument("--preset", help="a trained preset that ships with kerazoo (see `kerazoo list`)")
    generate.add_argument("--prompt", action="append", help="repeat for a batch of prompts (seq2seq: sources)")
    generate.add_argument("--length", type=int, help="characters to generate (default 500)")
    generate.add_argument("--temperature", type=float, help="0 means greedy (default 0.8)")
    generate.add_argument("--top-k", type=int, help="0 means off (default)")
    generate.add_argument("--top-p", type=float, help="nucleus sampling mass; 1 means off (default)")
    generate.add_argument("--beam-width", type=positive_int, help="seq2seq: beam search width (default 1, greedy)")
    generate.add_argument("--seed", type=int, help="default 0")
    generate.add_argument("--checkpoint", choices=["best", "final"], default="best")
    generate.set_defaults(func=cmd_generate)

    translate = _text_command(commands, "translate", cmd_translate, "translate strings with a sequence-to-sequence "
                              "model", "the strings to translate")
    translate.add_argument("--beam-width", type=positive_int, default=1, help="1 is greedy")

    embed = _text_command(commands, "embed", cmd_embed, "embed text with a model that embeds (see `kerazoo list`)",
                          "what the model embeds: words (word2vec), whitespace-tokenised sentences (ELMo)")
    add_command_options(embed, "embed", FAMILIES)

    add_family_commands(commands, FAMILIES)

    evaluate = commands.add_parser("evaluate", help="measure a trained preset as its model card says")
    evaluate.add_argument("--preset", required=True, help="a preset name or folder")
    evaluate.set_defaults(func=cmd_evaluate)

    schedule = commands.add_parser("schedule", help="plot a learning-rate schedule or a recipe's rate to a PNG")
    schedule.add_argument("name", help="a schedule or an optimizer recipe (see `kerazoo list`)")
    schedule.add_argument("--steps", type=positive_int, required=True, help="optimizer steps to plot (the run's length)")
    schedule.add_argument("--output", help="the PNG file (default schedule-NAME.png)")
    schedule.add_argument("--learning-rate", type=float, help="the base or peak rate (default: the recipe's)")
    schedule.add_argument("--steps-per-epoch", type=positive_int, help="needed by schedules that count epochs")
    schedule.add_argument("--log-y", action="store_true", help="a logarithmic rate axis")
    schedule.set_defaults(func=cmd_schedule)

    export = commands.add_parser("export", help="export a run or a trained preset as a SavedModel for TF Serving")
    export.add_argument("run_dir", nargs="?")
    export.add_argument("--preset", help="export a trained preset instead of a run folder")
    export.add_argument("--name", help="written to saved_models/NAME/<next version>/ (default: the preset's name)")
    export.add_argument("--base-dir", default=DEFAULT_SAVED_MODELS)
    export.add_argument("--checkpoint", choices=["best", "final"], default="best")
    export.add_argument("--beam-width", type=positive_int, help="seq2seq: the beam of `translate` (default 1)")
    export.add_argument("--limit", action="append", default=[], metavar="KEY=N",
                        help="a per-call limit of the signatures: " + ", ".join(sorted(registered_limits()))
                             + " (docs/saved-model.md)")
    export.set_defaults(func=cmd_export)

    serve = commands.add_parser("serve", help="serve every SavedModel under BASE_DIR with TF Serving's REST API, "
                                "streaming and a playground (docs/serving.md)")
    serve.add_argument("base_dir", nargs="?", default=DEFAULT_SAVED_MODELS, metavar="BASE_DIR")
    serve.add_argument("--port", type=positive_int, default=8501)
    serve.add_argument("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--poll-seconds", type=positive_seconds, default=1.0,
                       help="how often BASE_DIR is scanned for new versions")
    serve.add_argument("--max-body-bytes", type=positive_int, default=4 * 2**20,
                       help="larger request bodies are refused with 413")
    serve.add_argument("--body-timeout", type=positive_seconds, default=10.0,
                       help="seconds a request body may take to arrive (slower: 408)")
    serve.add_argument("--header-timeout", type=positive_seconds, default=10.0,
                       help="seconds a request's line and headers may take to arrive, from the connection's start "
                            "or the request's first byte (slower: 408 and the connection closes)")
    serve.add_argument("--request-timeout", type=positive_seconds, default=30.0,
                       help="seconds from a request's arrival to its answer: past it the work stops and the client "
                            "gets 504 DEADLINE_EXCEEDED (default 30, TF Serving's REST timeout)")
    serve.add_argument("--no-batching", dest="batching", action="store_false",
                       help="run every predict call alone (by default, calls that arrive while their signature runs "
                            "are merged into one call; see docs/serving.md)")
    serve.set_defaults(func=cmd_serve)

    quick = commands.add_parser("quickstart", help="the main job: train, export, generate")
    quick.add_argument("--corpus", default="shakespeare")
    quick.add_argument("--minutes", type=float, default=3.0, help="training budget")
    quick.add_argument("--output", help="the run folder (default runs/quickstart-<date-time>)")
    quick.add_argument("--name", default="quickstart")
    quick.add_argument("--base-dir", default=DEFAULT_SAVED_MODELS)
    quick.add_argument("--prompt", default="ROMEO:\n")
    quick.add_argument("--length", type=int, default=500)
    quick.add_argument("--seed", type=int, default=0)
    quick.set_defaults(func=cmd_quickstart)
    return parser
