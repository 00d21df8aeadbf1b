"""The commands that use a trained model: `kerazoo generate`, `translate` and `embed`.

Each loads a preset, a run folder or a SavedModel, asks its family what it can
do (`capabilities`) and which options its command takes (`command_options`),
and calls the functions the recipes call.
"""

import json
import os

from kerazoo.cli.options import command_options

CAPABILITY_TEXT = {"generate": "generates text", "translate": "translates strings", "embed": "embeds text"}
GENERATE_FLAGS = ("length", "temperature", "top_k", "top_p", "seed")
TRANSLATE_FLAGS = ("beam_width",)


def _saved_model_version(path):
    """The SavedModel folder `path` names (itself, or its newest version), or None."""
    from kerazoo.export import next_version

    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return path
    version = next_version(path) - 1
    candidate = os.path.join(path, str(version))
    if version >= 1 and os.path.isfile(os.path.join(candidate, "saved_model.pb")):
        return candidate
    return None


def _refuse_flags(args, allowed, what):
    given = [name for name in GENERATE_FLAGS + TRANSLATE_FLAGS if getattr(args, name) is not None]
    refused = [name for name in given if name not in allowed]
    if refused:
        flags = ", ".join("--" + name.replace("_", "-") for name in refused)
        raise ValueError(f"{flags} does not apply to {what}.")


def _load_model(args, needs=None):
    """`(family, model, vocabulary, where)` from `--preset NAME` or a run folder (`args.source`).

    With `needs` (capabilities, any of which will do), a run whose family cannot do it is refused before its weights load, so
    the user hears what the run can do rather than what file it lacks.
    """
    from kerazoo.models.registry import family_of_run
    from kerazoo.models.registry import get_family

    if getattr(args, "preset", None):
        from kerazoo.models.presets import load_preset

        if args.source:
            raise ValueError(f"Give a SOURCE or `--preset`, not both. Received: source={args.source!r}, "
                             f"preset={args.preset!r}")
        model, vocabulary, metadata = load_preset(args.preset)
        return get_family(metadata["family"]), model, vocabulary, f"the preset {args.preset!r}"
    if not args.source:
        raise ValueError("Give a run folder, a SavedModel or `--preset NAME` (see `kerazoo list`).")
    family = family_of_run(args.source)
    if family is None:
        raise FileNotFoundError(
            f"No trained model in {args.source!r}: it is neither a run folder nor a SavedModel. "
            "Train one with `kerazoo train MODEL --output RUN_DIR`, or pass `--preset NAME`."
        )
    if needs and not set(needs) & set(family.capabilities):
        raise _what_it_does(family, repr(args.source), needs[0])
    from kerazoo.training import load_run

    model, vocabulary = load_run(args.source, which=args.checkpoint)
    return family, model, vocabulary, repr(args.source)


def _what_it_does(family, where, instead):
    """The error for a model asked to do what its family cannot: it says what it can do."""
    texts = {**CAPABILITY_TEXT, **{command.capability: command.does for command in family.commands}}
    can = " and ".join(texts.get(c, c) for c in family.capabilities)
    commands = {c: f"kerazoo {c}" for c in family.capabilities}
    return ValueError(
        f"{where} holds a {family.name} model, which {can} and does not {instead} it. Use "
        f"{' or '.join(f'`{commands[c]}`' for c in family.capabilities)}, or export it (`kerazoo export`) "
        f"and call the SavedModel's {', '.join(f'`{s}`' for s in family.signatures)} signatures."
    )


def cmd_generate(args):
    saved_model = _saved_model_version(args.source) if args.source and os.path.isdir(args.source) else None
    if saved_model:
        return _generate_from_saved_model(args, saved_model)
    from kerazoo.models import export_protocol as protocol

    family, model, vocabulary, where = _load_model(args, needs=(protocol.GENERATE, protocol.TRANSLATE))
    if protocol.TRANSLATE in family.capabilities:
        _refuse_flags(args, TRANSLATE_FLAGS, f"{where}, a {family.name} model, which translates")
        from kerazoo.generation.translate import translate

        texts = translate(model, vocabulary, args.prompt or [], beam_width=args.beam_width or 1)
    elif protocol.GENERATE in family.capabilities:
        _refuse_flags(args, GENERATE_FLAGS, f"{where}, a {family.name} model")
        from kerazoo.generation import check_sampling_args
        from kerazoo.generation import generate_text

        options = _sampling_options(args)
        check_sampling_args(options["temperature"], options["top_k"], options["length"], options["top_p"])
        texts = generate_text(
            model, vocabulary, args.prompt or ["\n"], options["length"], options["temperature"], options["top_k"],
            options["seed"], options["top_p"],
        )
    else:
        raise _what_it_does(family, where, "generate")
    for text in texts:
        print(text)
    return 0


def _load_for(args, capability):
    """`_load_model`, refusing a model whose family cannot do `capability` (what it can do is in the message)."""
    family, model, vocabulary, where = _load_model(args, needs=(capability,))
    if capability not in family.capabilities:
        raise _what_it_does(family, where, capability)
    return family, model, vocabulary, where


def cmd_translate(args):
    from kerazoo.generation.translate import translate
    from kerazoo.models.export_protocol import TRANSLATE

    _, model, vocabulary, _ = _load_for(args, TRANSLATE)

    for text in translate(model, vocabulary, args.text, beam_width=args.beam_width):
        print(text)
    return 0


def cmd_embed(args):
    """What the model's family embeds, as JSON lines (word2vec: each word's neighbours; ELMo: a vector per sentence)."""
    from kerazoo.models.export_protocol import EMBED

    family, model, vocabulary, where = _load_for(args, EMBED)
    options = command_options(args, family, "embed", where)
    for row in family.embed(model, vocabulary, args.text, **options):
        print(json.dumps(row))
    return 0


def _sampling_options(args):
    defaults = {"length": 500, "temperature": 0.8, "top_k": 0, "top_p": 1.0, "seed": 0}
    return {name: default if getattr(args, name) is None else getattr(args, name) for name, default in defaults.items()}


def _generate_from_saved_model(args, path):
    from kerazoo.export.serving import generate_from_saved_model
    from kerazoo.export.serving import saved_model_signatures
    from kerazoo.export.serving import translate_from_saved_model

    signatures = saved_model_signatures(path)
    if "translate" in signatures:
        _refuse_flags(args, TRANSLATE_FLAGS, f"the SavedModel {path!r}, which translates")
        texts = translate_from_saved_model(path, args.prompt or [])
    elif "generate" in signatures:
        _refuse_flags(args, GENERATE_FLAGS, f"the SavedModel {path!r}")
        options = _sampling_options(args)
        texts = generate_from_saved_model(
            path, args.prompt or ["\n"], options["length"], options["temperature"], options["top_k"], options["seed"],
            options["top_p"],
        )
    else:
        raise ValueError(
            f"The SavedModel {path!r} does not generate text; its signatures are {signatures}."
        )
    for text in texts:
        print(text)
    return 0


def cmd_family_command(args):
    """A command a family adds (`FamilyCommand`): load, check the capability, run, print its lines."""
    command = args.family_command
    _, model, vocabulary, _ = _load_for(args, command.capability)
    options = {flag.key: getattr(args, flag.key) for flag in command.options if getattr(args, flag.key) is not None}
    for line in command.run(model, vocabulary, getattr(args, "text", None), **options):
        print(line)
    return 0
