"""The commands that train, measure, export and serve: `kerazoo list`, `train`, `schedule`, `evaluate`, `export`, `serve`."""

import json
import os
import sys

from kerazoo.cli.options import flag_values


def cmd_list(args):
    from kerazoo.models.registry import FAMILIES
    from kerazoo.optimizers import RECIPES
    from kerazoo.optimizers import SCHEDULES

    print("Models (kerazoo train MODEL), by family:")
    for family in FAMILIES:
        for name, builder in family.builders.items():
            summary = (builder.__doc__ or family.description).strip().splitlines()[0]
            print(f"  {name:14s} [{family.name}] {summary}")
    print("\nTraining configurations (kerazoo train MODEL --config NAME):")
    for family in FAMILIES:
        for name, named in family.configs.items():
            print(f"  {name:18s} [{named['model']}] {named['description']}")
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
    settings, model_kwargs = flag_values(family, args.model, args)
    config = family.resolve_config(model=args.model, config=args.config, model_kwargs=model_kwargs, **settings)
    output = args.output or os.path.join("runs", args.config or args.model)
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


def cmd_export(args):
    from kerazoo.export import export_run
    from kerazoo.export import export_saved_model
    from kerazoo.models import export_protocol as protocol
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
          max_body_bytes=args.max_body_bytes, body_timeout=args.body_timeout, batching=args.batching,
          request_timeout=args.request_timeout, header_timeout=args.header_timeout)
    return 0
