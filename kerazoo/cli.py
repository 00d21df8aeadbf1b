"""The `kerazoo` command: list, train, generate, export, schedule, and the quickstart main job.

The command is built from the registry of families (`kerazoo.models.registry`):
`kerazoo train MODEL` takes the flags that MODEL's family declares, and a flag
of another family is refused, naming the flag and the model. Each subcommand
is a thin call into the functions the recipes use: `kerazoo.training.train`,
`kerazoo.generation.generate_text`, `kerazoo.export.export_run`.
"""

import argparse
import json
import os
import re
import sys
import threading

DEFAULT_SAVED_MODELS = "saved_models"
CAPABILITY_TEXT = {"generate": "generates text", "translate": "translates strings", "embed": "embeds text"}
GENERATE_FLAGS = ("length", "temperature", "top_k", "top_p", "seed")
TRANSLATE_FLAGS = ("beam_width",)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _argparse_type(convert):
    """Turns a family flag's converter's ValueError into argparse's one-line message."""

    def parse(text):
        try:
            return convert(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = getattr(convert, "__name__", "value")
    return parse


def _add_family_flags(parser, family, model):
    parser.add_argument("--preset", help="a named configuration (see `kerazoo list`)")
    parser.add_argument("--output", help="the run folder (default runs/<preset or model>)")
    model_group = parser.add_argument_group("model (override the preset)")
    for flag in family.flags_for(model):
        target = model_group if flag.target == "model" else parser
        if flag.switch:
            target.add_argument(flag.flag, dest=flag.key, action="store_const", const=True, default=None,
                                help=flag.help)
        else:
            target.add_argument(flag.flag, dest=flag.key, type=_argparse_type(flag.type), choices=flag.choices,
                                default=None, help=flag.help)


def _flag_values(family, model, args):
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


def _refuse_unknown(parser, args, unknown):
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


def cmd_list(args):
    from kerazoo.models.registry import FAMILIES
    from kerazoo.optimizers import RECIPES
    from kerazoo.optimizers import SCHEDULES

    print("Models (kerazoo train MODEL), by family:")
    for family in FAMILIES:
        for name, builder in family.builders.items():
            summary = (builder.__doc__ or family.description).strip().splitlines()[0]
            print(f"  {name:14s} [{family.name}] {summary}")
    print("\nPresets (--preset NAME):")
    for family in FAMILIES:
        for name, preset in family.presets.items():
            print(f"  {name:18s} [{preset['model']}] {preset['description']}")
    print("\nOptimizer recipes (--optimizer NAME; plot with `kerazoo schedule NAME`):")
    for name, recipe in RECIPES.items():
        print(f"  {name:22s} {recipe.source}")
    print(f"\nSchedules (kerazoo schedule NAME): {', '.join(SCHEDULES)}")
    from kerazoo.models.presets import shipped_presets

    print("\nTrained presets (kerazoo.from_preset NAME; kerazoo generate|translate|embed|export|evaluate --preset NAME):")
    for name, card in shipped_presets().items():
        metric = card["metric"]
        print(f"  {name:24s} [{card['model']}] {metric['kind']} {metric['value']:.4f} on held-out data; "
              f"{card['parameters']:,} parameters, {card['size_bytes'] / 1e6:.1f} MB")
    return 0


def cmd_train(args):
    from kerazoo.models.registry import family_of_model
    from kerazoo.training import train

    family = family_of_model(args.model)
    settings, model_kwargs = _flag_values(family, args.model, args)
    config = family.resolve_config(model=args.model, preset=args.preset, model_kwargs=model_kwargs, **settings)
    output = args.output or os.path.join("runs", args.preset or args.model)
    _, _, metrics = train(config, output)
    final = metrics.get("final") or {}
    summary = {key: metrics.get(key, final.get(key)) for key in family.summary_keys}
    print(json.dumps({"run_dir": output, **summary}))
    return 0


def cmd_schedule(args):
    from kerazoo.optimizers import named_schedule
    from kerazoo.optimizers import robbins_monro
    from kerazoo.optimizers.plots import plot_schedule

    schedule = named_schedule(args.name, args.learning_rate, args.steps_per_epoch, total_steps=args.steps)
    output = args.output or f"schedule-{args.name}.png"
    title = f"{args.name} ({type(schedule).__name__}), {args.steps} steps"
    summary = plot_schedule(schedule, args.steps, output, title=title, log_y=args.log_y)
    print(f"{output}: rate {summary['first']:.4g} at step 0, peak {summary['peak']:.4g} at step "
          f"{summary['peak_step']}, {summary['last']:.4g} at step {args.steps - 1}")
    print(f"Robbins-Monro: {robbins_monro(schedule)}")
    return 0


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
    can = " and ".join(CAPABILITY_TEXT[c] for c in family.capabilities)
    commands = {"generate": "kerazoo generate", "translate": "kerazoo translate", "embed": "kerazoo embed"}
    return ValueError(
        f"{where} holds a {family.name} model, which {can} and does not {instead} it. Use "
        f"{' or '.join(f'`{commands[c]}`' for c in family.capabilities)}, or export it (`kerazoo export`) "
        f"and call the SavedModel's {', '.join(f'`{s}`' for s in family.signatures)} signatures."
    )


def cmd_generate(args):
    saved_model = _saved_model_version(args.source) if args.source and os.path.isdir(args.source) else None
    if saved_model:
        return _generate_from_saved_model(args, saved_model)
    from kerazoo.models import family as protocol

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


def cmd_translate(args):
    from kerazoo.models import family as protocol

    family, model, vocabulary, where = _load_model(args, needs=(protocol.TRANSLATE,))
    if protocol.TRANSLATE not in family.capabilities:
        raise _what_it_does(family, where, "translate")
    from kerazoo.generation.translate import translate

    for text in translate(model, vocabulary, args.text, beam_width=args.beam_width):
        print(text)
    return 0


def cmd_embed(args):
    """Word vectors' nearest neighbours (word2vec), or one vector per sentence (ELMo's mean), as JSON lines."""
    from kerazoo.models import family as protocol

    family, model, vocabulary, where = _load_model(args, needs=(protocol.EMBED,))
    if protocol.EMBED not in family.capabilities:
        raise _what_it_does(family, where, "embed")
    options = {name: getattr(args, name) for name in ("topn", "vectors") if getattr(args, name)}
    for row in family.embed(model, vocabulary, args.text, **options):
        print(json.dumps(row))
    return 0


def cmd_evaluate(args):
    """Measures a preset as its model card says, beside the card's figures."""
    from kerazoo.models.presets import load_preset
    from kerazoo.models.presets import preset_folder
    from kerazoo.models.registry import get_family

    model, vocabulary, metadata = load_preset(args.preset)
    if "metric" not in metadata:
        raise ValueError(f"{args.preset!r} is a run folder; it has no model card to evaluate against.")
    family = get_family(metadata["family"])
    folder = preset_folder(args.preset)
    code = 0
    for key in ("metric", "check"):
        spec = metadata[key]
        try:
            value = family.measure(model, vocabulary, spec, folder=folder)["value"]
        except (FileNotFoundError, ValueError, RuntimeError) as error:
            print(f"{key}: {spec['kind']}: cannot measure here: {error}", file=sys.stderr)
            code = 2
            continue
        target = f", target {spec['target']}" if "target" in spec else ""
        print(f"{args.preset} {key}: {spec['kind']} = {value:.4f} (model card: {spec['value']:.4f}{target}) "
              f"on {json.dumps(spec['data'])}")
    return code


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


def cmd_export(args):
    from kerazoo.export import export_run
    from kerazoo.export import export_saved_model
    from kerazoo.models import family as protocol
    from kerazoo.models.registry import family_of_run
    from kerazoo.models.registry import get_family

    if args.preset:
        from kerazoo.models.presets import load_preset

        if args.run_dir:
            raise ValueError(f"Give a RUN_DIR or `--preset`, not both. Received: run_dir={args.run_dir!r}")
        model, vocabulary, metadata = load_preset(args.preset)
        family = get_family(metadata["family"])
    else:
        if not args.run_dir:
            raise ValueError("Give a RUN_DIR or `--preset NAME` to export.")
        family = family_of_run(args.run_dir)
    if args.beam_width is not None and family is not None and protocol.TRANSLATE not in family.capabilities:
        raise ValueError(f"--beam-width does not apply to a {family.name} model.")
    name = args.name or (metadata.get("name") if args.preset else None)
    limits = {}
    for item in args.limit:
        key, _, value = item.partition("=")
        if not value.strip().lstrip("-").isdigit():
            raise ValueError(f"`--limit` takes KEY=N with an integer N. Received: --limit {item!r}")
        limits[key.strip()] = int(value)
    if not name:
        raise ValueError("`--name` is needed to export a run folder: the SavedModel goes to saved_models/NAME/.")
    if args.preset:
        path = export_saved_model(
            model, vocabulary, name, base_dir=args.base_dir, beam_width=args.beam_width or 1, family=family, limits=limits,
            metadata={"preset": args.preset, "model_card": {k: metadata[k] for k in ("metric", "training") if k in metadata}},
        )
    else:
        path = export_run(
            args.run_dir, name, base_dir=args.base_dir, which=args.checkpoint, beam_width=args.beam_width or 1,
            limits=limits,
        )
    print(path)
    return 0


def cmd_serve(args):
    try:
        from kerazoo.serving import serve
    except ImportError as error:
        raise RuntimeError(f"`kerazoo serve` needs the serve extra: pip install 'kerazoo[serve]' ({error})") from None
    serve(args.base_dir, host=args.host, port=args.port, poll_seconds=args.poll_seconds,
          max_body_bytes=args.max_body_bytes, body_timeout=args.body_timeout, batching=args.batching)
    return 0


def cmd_quickstart(args):
    """Train the `quick` preset, export it, and print text generated by the SavedModel."""
    import time

    import keras

    from kerazoo.export import export_run
    from kerazoo.export.serving import generate_from_saved_model
    from kerazoo.training import resolve_config
    from kerazoo.training import train

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "quickstart exports a TensorFlow SavedModel and needs KERAS_BACKEND=tensorflow. "
            f"Current backend: {keras.backend.backend()!r}"
        )
    config = resolve_config(preset="quick", corpus=args.corpus, max_minutes=args.minutes, seed=args.seed, verbose=2)
    args.output = args.output or os.path.join("runs", time.strftime("quickstart-%Y%m%d-%H%M%S"))
    print(f"kerazoo quickstart: training the `quick` LSTM on {config['corpus']} "
          f"for at most {config['max_minutes']} minutes -> {args.output}", flush=True)
    _, _, metrics = train(config, args.output)
    print(f"best validation loss {metrics['best_val_loss']:.3f} nats/char "
          f"({metrics['best_val_loss'] / 0.6931471805599453:.3f} bits/char) after {metrics['steps']} steps",
          flush=True)
    path = export_run(args.output, args.name, base_dir=args.base_dir)
    print(f"exported SavedModel: {path}", flush=True)
    text = generate_from_saved_model(path, [args.prompt], args.length, 0.8, 0, args.seed)[0]
    print("\n----- generated by the SavedModel -----")
    print(text)
    return 0


def build_parser():
    from kerazoo.models.registry import FAMILIES

    parser = argparse.ArgumentParser(prog="kerazoo", description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", dest="native_logs", action="store_true",
                        help="also print TensorFlow's native (C++) log lines, which are hidden otherwise")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("list", help="show the models and presets").set_defaults(func=cmd_list)

    train = commands.add_parser("train", help="train a model with model.fit (or its family's own fit)")
    models = train.add_subparsers(dest="model", required=True, metavar="MODEL")
    for family in FAMILIES:
        for model in family.models:
            model_parser = models.add_parser(model, help=f"[{family.name}] {family.description}")
            _add_family_flags(model_parser, family, model)
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
    generate.add_argument("--beam-width", type=_positive_int, help="seq2seq: beam search width (default 1, greedy)")
    generate.add_argument("--seed", type=int, help="default 0")
    generate.add_argument("--checkpoint", choices=["best", "final"], default="best")
    generate.set_defaults(func=cmd_generate)

    translate = commands.add_parser("translate", help="translate strings with a sequence-to-sequence model")
    translate.add_argument("text", nargs="+", help="the strings to translate")
    translate.add_argument("--preset", help="a trained preset (see `kerazoo list`)")
    translate.add_argument("--source", help="or a run folder")
    translate.add_argument("--beam-width", type=_positive_int, default=1, help="1 is greedy")
    translate.add_argument("--checkpoint", choices=["best", "final"], default="best")
    translate.set_defaults(func=cmd_translate)

    embed = commands.add_parser("embed", help="embed words (word2vec: their nearest neighbours) or sentences (ELMo)")
    embed.add_argument("text", nargs="+", help="words (word2vec) or whitespace-tokenised sentences (ELMo)")
    embed.add_argument("--preset", help="a trained preset (see `kerazoo list`)")
    embed.add_argument("--source", help="or a run folder")
    embed.add_argument("--topn", type=_positive_int, help="word2vec: neighbours per word (default 10)")
    embed.add_argument("--vectors", action="store_true", help="word2vec: print each word's vector too")
    embed.add_argument("--checkpoint", choices=["best", "final"], default="best")
    embed.set_defaults(func=cmd_embed)

    evaluate = commands.add_parser("evaluate", help="measure a trained preset as its model card says")
    evaluate.add_argument("--preset", required=True, help="a preset name or folder")
    evaluate.set_defaults(func=cmd_evaluate)

    schedule = commands.add_parser("schedule", help="plot a learning-rate schedule or a recipe's rate to a PNG")
    schedule.add_argument("name", help="a schedule or an optimizer recipe (see `kerazoo list`)")
    schedule.add_argument("--steps", type=_positive_int, required=True, help="optimizer steps to plot (the run's length)")
    schedule.add_argument("--output", help="the PNG file (default schedule-NAME.png)")
    schedule.add_argument("--learning-rate", type=float, help="the base or peak rate (default: the recipe's)")
    schedule.add_argument("--steps-per-epoch", type=_positive_int, help="needed by schedules that count epochs")
    schedule.add_argument("--log-y", action="store_true", help="a logarithmic rate axis")
    schedule.set_defaults(func=cmd_schedule)

    export = commands.add_parser("export", help="export a run or a trained preset as a SavedModel for TF Serving")
    export.add_argument("run_dir", nargs="?")
    export.add_argument("--preset", help="export a trained preset instead of a run folder")
    export.add_argument("--name", help="written to saved_models/NAME/<next version>/ (default: the preset's name)")
    export.add_argument("--base-dir", default=DEFAULT_SAVED_MODELS)
    export.add_argument("--checkpoint", choices=["best", "final"], default="best")
    export.add_argument("--beam-width", type=_positive_int, help="seq2seq: the beam of `translate` (default 1)")
    export.add_argument("--limit", action="append", default=[], metavar="KEY=N",
                        help="a per-call limit of the signatures: max_batch, max_prompt_length, max_length, "
                             "max_source_length, max_tokens, max_words (docs/saved-model.md)")
    export.set_defaults(func=cmd_export)

    serve = commands.add_parser("serve", help="serve every SavedModel under BASE_DIR with TF Serving's REST API, "
                                "streaming and a playground (docs/serving.md)")
    serve.add_argument("base_dir", nargs="?", default=DEFAULT_SAVED_MODELS, metavar="BASE_DIR")
    serve.add_argument("--port", type=_positive_int, default=8501)
    serve.add_argument("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--poll-seconds", type=float, default=1.0, help="how often BASE_DIR is scanned for new versions")
    serve.add_argument("--max-body-bytes", type=_positive_int, default=4 * 2**20,
                       help="larger request bodies are refused with 413")
    serve.add_argument("--body-timeout", type=float, default=10.0,
                       help="seconds a request body may take to arrive (slower: 408)")
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


def main(argv=None):
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    refused = _refuse_unknown(parser, args, unknown)
    if refused is not None:
        return refused
    from kerazoo.data.corpora import CorpusUnavailableError

    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, CorpusUnavailableError, RuntimeError, TypeError) as error:
        print(f"kerazoo {args.command}: error: {error}", file=sys.stderr)
        return 2


# TensorFlow and XLA write these from C++, past Python's logging: "I0000 00:00:1796203103.963087 7808 port.cc:153] ...".
_NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWEF]\d{4} \d+:\d+:\d+\.\d+\s+\d+ [\w.+-]+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .* rebuild TensorFlow)"
)


class NativeLogFilter:
    """Keeps TensorFlow's native log lines out of stderr while it is active; everything else passes.

    The lines come from C++ straight to file descriptor 2, so neither Python's
    logging nor `TF_CPP_MIN_LOG_LEVEL` (which TensorFlow 2.21's absl logging
    ignores before it starts) stops them. The filter puts a pipe in front of
    descriptor 2 and forwards every line that is not one of them.
    """

    def __enter__(self):
        sys.stderr.flush()
        self._saved = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        self._thread = threading.Thread(target=self._pump, args=(read,), daemon=True)
        self._thread.start()
        return self

    def _pump(self, read):
        with os.fdopen(read, "rb") as pipe:
            for line in pipe:
                if not _NATIVE_LOG_LINE.match(line):
                    os.write(self._saved, line)

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self._saved, 2)  # closes the pipe's last writer: the pump reads to the end and stops
        self._thread.join(timeout=5)
        os.close(self._saved)


def run(argv=None):
    """The console entry point: `main`, with TensorFlow's native log lines hidden unless `--verbose`."""
    argv = sys.argv[1:] if argv is None else argv
    leading = []
    for token in argv:
        if not token.startswith("-"):
            break
        leading.append(token)
    if "--verbose" in leading or os.environ.get("KERAZOO_VERBOSE") == "1":
        return main(argv)
    with NativeLogFilter():
        return main(argv)


if __name__ == "__main__":
    sys.exit(run())
