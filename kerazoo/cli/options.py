"""Flags and options that families declare, turned into argparse arguments and back into settings.

`kerazoo train MODEL` takes the flags of MODEL's family (`flags_for`), and
another command takes the options families declare for it
(`command_options`, e.g. word2vec's `embed --topn`). A flag or option of
another family is refused, naming it and the model.
"""

import argparse
import sys

from kerazoo.models.flags import positive_float as _positive_float
from kerazoo.models.flags import positive_int as _positive_int


def argparse_type(convert):
    """Turns a family flag's converter's ValueError into argparse's one-line message."""

    def parse(text):
        try:
            return convert(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = getattr(convert, "__name__", "value")
    return parse


def positive_int(text):
    """An argparse type: an integer >= 1 (the families' converter, with argparse's one-line error)."""
    return argparse_type(_positive_int)(text)


def positive_seconds(text):
    """An argparse type: a finite number of seconds > 0 (a timeout)."""
    return argparse_type(_positive_float)(text)


def add_flag(parser, flag):
    """Adds one `Flag` to an argparse parser or group; an absent flag parses to None."""
    if flag.switch:
        parser.add_argument(flag.flag, dest=flag.key, action="store_const", const=True, default=None, help=flag.help)
    else:
        parser.add_argument(flag.flag, dest=flag.key, type=argparse_type(flag.type), choices=flag.choices,
                            default=None, help=flag.help)


def add_family_flags(parser, family, model):
    parser.add_argument("--config", "--preset", dest="config",
                        help="a named training configuration (see `kerazoo list`); --preset is its old name")
    parser.add_argument("--output", help="the run folder (default runs/<config or model>)")
    model_group = parser.add_argument_group("model (override the configuration)")
    for flag in family.flags_for(model):
        add_flag(model_group if flag.target == "model" else parser, flag)


def flag_values(family, model, args):
    """The given flags of `model`, split into training settings and builder arguments."""
    settings, model_kwargs = {}, {}
    for flag in family.flags_for(model):
        value = getattr(args, flag.key, None)
        if value is None:
            continue
        if flag.convert is not None:
            value = flag.convert(value)
        (model_kwargs if flag.target == "model" else settings)[flag.key] = value
    return settings, model_kwargs


def add_command_options(parser, command, families):
    """Adds every option that some family declares for `command` (each once); `command_options` refuses the rest."""
    seen = {}
    for family in families:
        for flag in family.command_options.get(command, ()):
            if flag.flag not in seen:
                seen[flag.flag] = flag
                add_flag(parser, flag)


def command_options(args, family, command, where):
    """The options of `command` given on the command line, refused when `family` does not declare them."""
    from kerazoo.models.registry import FAMILIES

    declared = {flag.key: flag for flag in family.command_options.get(command, ())}
    every = {flag.key: flag for known in FAMILIES for flag in known.command_options.get(command, ())}
    given = {key: getattr(args, key) for key in every if getattr(args, key, None) is not None}
    refused = [every[key].flag for key in given if key not in declared]
    if refused:
        raise ValueError(f"{', '.join(refused)} does not apply to {where}, a {family.name} model. "
                         f"Received: {', '.join(f'{key}={given[key]!r}' for key in given if key not in declared)}")
    return {key: declared[key].convert(value) if declared[key].convert else value for key, value in given.items()}


def refuse_unknown(parser, args, unknown):
    """One line for arguments the chosen command or model does not take; returns the exit code, or None."""
    if not unknown:
        return None
    if args.command != "train":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    from kerazoo.models.registry import FAMILIES

    index = next((i for i, token in enumerate(unknown) if token.startswith("-")), 0)
    flag, _, value = unknown[index].partition("=")
    if not value:
        following = unknown[index + 1] if index + 1 < len(unknown) else None
        value = following if following is not None and not following.startswith("-") else True
    owners = [(m, f) for family in FAMILIES for m in family.models for f in family.flags_for(m) if f.flag == flag]
    key = owners[0][1].key if owners else flag.lstrip("-").replace("-", "_")
    where = f" (a flag of {', '.join(m for m, _ in owners)})" if owners else ""
    print(
        f"kerazoo train: error: {flag} does not apply to model {args.model!r}{where}; "
        f"`kerazoo train {args.model} --help` lists its flags. Received: {key}={value!r} for model={args.model!r}",
        file=sys.stderr,
    )
    return 2
