"""The `kerazoo` command: list, train, generate, export, schedule, and the quickstart main job.

Each subcommand is a thin call into the library functions that the recipes
use: `kerazoo.training.train`, `kerazoo.generation.generate_text`,
`kerazoo.export.export_run`.
"""

import argparse
import json
import os
import sys

DEFAULT_SAVED_MODELS = "saved_models"


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _add_training_arguments(parser):
    parser.add_argument("--preset", help="a named configuration (see `kerazoo list`)")
    parser.add_argument("--corpus", help="shakespeare (default), tiny_shakespeare, or a text file path")
    parser.add_argument("--data-dir", help="tensorflow-datasets data folder")
    parser.add_argument("--validation-split", choices=["validation", "heldout"],
                        help="heldout = validation + test, nanoGPT's val split for tiny_shakespeare")
    parser.add_argument("--epochs", type=_positive_int)
    parser.add_argument("--steps-per-epoch", type=_positive_int)
    parser.add_argument("--validation-steps", type=_positive_int)
    parser.add_argument("--batch-size", type=_positive_int)
    parser.add_argument("--seq-length", type=_positive_int)
    parser.add_argument("--optimizer", help="an optimizer recipe: adam, rmsprop, nanogpt_adamw_cosine, ... (see `kerazoo list`)")
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--clipnorm", type=float)
    parser.add_argument("--clipvalue", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--sample-every", type=int, help="steps between printed samples (0: off)")
    parser.add_argument("--sample-length", type=_positive_int)
    parser.add_argument("--max-minutes", type=float, help="stop training after this much wall time")
    parser.add_argument("--pipeline", choices=["auto", "tf", "numpy"])
    parser.add_argument("--verbose", type=int, choices=[0, 1, 2])
    parser.add_argument("--distribute", choices=["none", "mirrored", "multi-worker"],
                        help="data-parallel training (char models and gpt): local devices, or a cluster "
                             "from TF_CONFIG / KERAS_DISTRIBUTION_* (docs/backends.md)")
    model = parser.add_argument_group("model (override the preset)")
    model.add_argument("--units", type=_positive_int)
    model.add_argument("--num-layers", type=_positive_int)
    model.add_argument("--embedding-dim", type=int, help="0: one-hot input")
    model.add_argument("--dropout", type=float)
    model.add_argument("--cell-api", action="store_true", default=None,
                       help="stack cells in one RNN (the lectures' StackedRNNCells form)")
    model.add_argument("--num-heads", type=_positive_int, help="attention heads (gpt, transformer)")
    model.add_argument("--hidden-dim", type=_positive_int, help="model width (gpt, transformer)")
    model.add_argument("--max-sequence-length", type=_positive_int, help="context length (gpt, seq2seq)")
    seq2seq = parser.add_argument_group("sequence-to-sequence models (transformer, seq2seq_lstm)")
    seq2seq.add_argument("--task", help="'dates' (default) or a TSV file of source<TAB>target lines")
    seq2seq.add_argument("--train-size", type=_positive_int)
    seq2seq.add_argument("--test-size", type=_positive_int)
    seq2seq.add_argument("--beam-width", type=_positive_int, help="test-set decoding; 1 is greedy")
    word2vec = parser.add_argument_group("word2vec (with --epochs, --batch-size, --learning-rate, --embedding-dim, ...)")
    word2vec.add_argument("--window", type=_positive_int)
    word2vec.add_argument("--negative", type=_positive_int, dest="num_negative", help="negatives per pair")
    word2vec.add_argument("--min-count", type=_positive_int)
    word2vec.add_argument("--max-vocab", type=_positive_int)
    word2vec.add_argument("--sample", type=float, help="subsampling threshold (0: off)")
    bilm = parser.add_argument_group("ELMo biLM (elmo; also --min-count, --max-vocab, --dropout, --num-layers)")
    bilm.add_argument("--num-samples", type=int, help="sampled-softmax words per step; 0 is the full softmax")
    bilm.add_argument("--projection-dim", type=_positive_int)
    bilm.add_argument("--lstm-units", type=_positive_int)


def _training_settings(args):
    from kerazoo.training import TRAINING_DEFAULTS

    # Every training setting that has a flag; unset flags are None and keep the preset's value.
    settings = {key: getattr(args, key) for key in TRAINING_DEFAULTS if hasattr(args, key)}
    model_kwargs = {
        key: getattr(args, key)
        for key in ("units", "num_layers", "embedding_dim", "dropout", "cell_api", "num_heads", "hidden_dim",
                    "max_sequence_length")
        if getattr(args, key) is not None
    }
    if model_kwargs.get("embedding_dim") == 0:
        model_kwargs["embedding_dim"] = None
    return settings, model_kwargs


def cmd_list(args):
    from kerazoo.models.registry import BUILDERS
    from kerazoo.models.registry import PRESETS
    from kerazoo.models.registry import SEQ2SEQ_BUILDERS
    from kerazoo.models.registry import SEQ2SEQ_PRESETS
    from kerazoo.models.registry import BILM_BUILDERS
    from kerazoo.models.registry import BILM_PRESETS

    print("Models (kerazoo train MODEL):")
    for name, builder in {**BUILDERS, **SEQ2SEQ_BUILDERS, **BILM_BUILDERS}.items():
        print(f"  {name:12s} {builder.__doc__.strip().splitlines()[0]}")
    print(f"  {'word2vec':12s} Skip-gram word2vec with negative sampling.")
    print("\nPresets (--preset NAME):")
    for name, preset in {**PRESETS, **SEQ2SEQ_PRESETS, **BILM_PRESETS}.items():
        print(f"  {name:18s} [{preset['model']}] {preset['description']}")
    from kerazoo.models.word2vec import WORD2VEC_PRESETS

    for name, preset in WORD2VEC_PRESETS.items():
        print(f"  {name:18s} [word2vec] {preset['description']}")
    from kerazoo.optimizers import RECIPES
    from kerazoo.optimizers import SCHEDULES

    print("\nOptimizer recipes (--optimizer NAME; plot with `kerazoo schedule NAME`):")
    for name, recipe in RECIPES.items():
        print(f"  {name:22s} {recipe.source}")
    print(f"\nSchedules (kerazoo schedule NAME): {', '.join(SCHEDULES)}")
    return 0


SEQ2SEQ_MODELS = ("transformer", "seq2seq_lstm")
BILM_MODELS = ("elmo",)


def cmd_train_bilm(args):
    from kerazoo.training import resolve_bilm_config
    from kerazoo.training import train_bilm
    from kerazoo.training.bilm_trainer import BILM_DEFAULTS

    _refuse_distribute(args)
    settings = {key: getattr(args, key) for key in BILM_DEFAULTS if getattr(args, key, None) is not None}
    model_kwargs = {
        key: getattr(args, key)
        for key in ("num_layers", "dropout", "num_samples", "projection_dim", "lstm_units")
        if getattr(args, key) is not None
    }
    config = resolve_bilm_config(model=args.model, preset=args.preset, model_kwargs=model_kwargs, **settings)
    output = args.output or os.path.join("runs", args.preset or args.model)
    _, _, metrics = train_bilm(config, output)
    keys = ("validation_forward_perplexity", "validation_backward_perplexity", "train_tokens_per_s", "steps", "parameters")
    print(json.dumps({"run_dir": output, **{key: metrics.get(key) for key in keys}}))
    return 0


def _refuse_distribute(args):
    if getattr(args, "distribute", None) not in (None, "none"):
        raise ValueError(
            f"`--distribute` trains the char models and gpt only. Received: distribute={args.distribute!r} "
            f"for model={args.model!r}"
        )


def cmd_train_seq2seq(args):
    from kerazoo.training import resolve_seq2seq_config
    from kerazoo.training import train_seq2seq
    from kerazoo.training.seq2seq_trainer import SEQ2SEQ_DEFAULTS

    _refuse_distribute(args)
    settings = {key: getattr(args, key) for key in SEQ2SEQ_DEFAULTS if getattr(args, key, None) is not None}
    _, model_kwargs = _training_settings(args)
    config = resolve_seq2seq_config(model=args.model, preset=args.preset, model_kwargs=model_kwargs, **settings)
    output = args.output or os.path.join("runs", args.preset or args.model)
    _, _, metrics = train_seq2seq(config, output)
    summary = {key: metrics.get(key) for key in ("test_exact_match", "best_val_loss", "train_s", "parameters")}
    print(json.dumps({"run_dir": output, **summary}))
    return 0


def cmd_train_word2vec(args):
    _refuse_distribute(args)
    from kerazoo.training import WORD2VEC_DEFAULTS
    from kerazoo.training import resolve_word2vec_config
    from kerazoo.training import train_word2vec

    settings = {key: getattr(args, key) for key in WORD2VEC_DEFAULTS if hasattr(args, key)}
    config = resolve_word2vec_config(preset=args.preset, **settings)
    output = args.output or os.path.join("runs", "word2vec")
    _, _, vectors, metrics = train_word2vec(config, output)
    summary = {key: metrics[key] for key in ("vocabulary_size", "corpus_words", "wall_s")}
    print(json.dumps({"run_dir": output, "loss": metrics["history"][-1]["loss"], **summary}))
    return 0


def cmd_train(args):
    from kerazoo.training import resolve_config
    from kerazoo.training import train

    if args.model in SEQ2SEQ_MODELS:
        return cmd_train_seq2seq(args)
    if args.model == "word2vec":
        return cmd_train_word2vec(args)
    if args.model in BILM_MODELS:
        return cmd_train_bilm(args)

    settings, model_kwargs = _training_settings(args)
    config = resolve_config(model=args.model, preset=args.preset, model_kwargs=model_kwargs, **settings)
    output = args.output or os.path.join("runs", args.preset or args.model)
    _, _, metrics = train(config, output)
    summary = {key: metrics.get(key) for key in ("best_val_loss", "best_val_bpc", "steps", "wall_s", "parameters")}
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


def _is_saved_model(path):
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def _latest_version(path):
    from kerazoo.export import next_version

    if _is_saved_model(path):
        return path
    version = next_version(path) - 1
    candidate = os.path.join(path, str(version))
    if version >= 1 and _is_saved_model(candidate):
        return candidate
    return None


def _translate(args, saved_model):
    from kerazoo.training.seq2seq_trainer import is_seq2seq_run

    if saved_model:
        from kerazoo.export.serving import saved_model_signatures
        from kerazoo.export.serving import translate_from_saved_model

        if "translate" not in saved_model_signatures(saved_model):
            return None

        return translate_from_saved_model(saved_model, args.prompt or [])
    if not is_seq2seq_run(args.source):
        return None
    from kerazoo.generation.translate import translate
    from kerazoo.training import load_seq2seq_run

    model, vocabulary = load_seq2seq_run(args.source, which=args.checkpoint)
    return translate(model, vocabulary, args.prompt or [], beam_width=args.beam_width)


def cmd_generate(args):
    from kerazoo.training.bilm_trainer import is_bilm_run

    if is_bilm_run(args.source):
        raise ValueError(f"{args.source!r} holds an ELMo biLM, which embeds text and does not generate it. "
                         "Export it (`kerazoo export`) and call the SavedModel's `embed` signature.")
    saved_model = _latest_version(args.source) if os.path.isdir(args.source) else None
    # A sequence-to-sequence model translates each prompt instead of continuing it.
    translations = _translate(args, saved_model)
    if translations is not None:
        for text in translations:
            print(text)
        return 0
    prompts = args.prompt or ["\n"]
    if saved_model:
        from kerazoo.export.serving import generate_from_saved_model

        texts = generate_from_saved_model(
            saved_model, prompts, args.length, args.temperature, args.top_k, args.seed, args.top_p
        )
    else:
        from kerazoo.generation import check_sampling_args
        from kerazoo.generation import generate_text
        from kerazoo.training import load_run

        check_sampling_args(args.temperature, args.top_k, args.length, args.top_p)
        model, vocabulary = load_run(args.source, which=args.checkpoint)
        texts = generate_text(
            model, vocabulary, prompts, args.length, args.temperature, args.top_k, args.seed, args.top_p
        )
    for text in texts:
        print(text)
    return 0


def cmd_export(args):
    from kerazoo.export import export_run

    path = export_run(
        args.run_dir, args.name, base_dir=args.base_dir, which=args.checkpoint, beam_width=args.beam_width
    )
    print(path)
    return 0


def cmd_quickstart(args):
    """Train the `quick` preset, export it, and print text generated by the SavedModel."""
    from kerazoo.export import export_run
    from kerazoo.export.serving import generate_from_saved_model
    from kerazoo.training import resolve_config
    from kerazoo.training import train

    import time

    import keras

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "quickstart exports a TensorFlow SavedModel and needs KERAS_BACKEND=tensorflow. "
            f"Current backend: {keras.backend.backend()!r}"
        )
    config = resolve_config(
        preset="quick", corpus=args.corpus, max_minutes=args.minutes, seed=args.seed, verbose=2
    )
    args.output = args.output or os.path.join("runs", time.strftime("quickstart-%Y%m%d-%H%M%S"))
    print(f"kerazoo quickstart: training the `quick` LSTM on {config['corpus']} "
          f"for at most {config['max_minutes']} minutes -> {args.output}", flush=True)
    _, _, metrics = train(config, args.output)
    print(f"best validation loss {metrics['best_val_loss']:.3f} nats/char "
          f"({metrics['best_val_bpc']:.3f} bits/char) after {metrics['steps']} steps", flush=True)
    path = export_run(args.output, args.name, base_dir=args.base_dir)
    print(f"exported SavedModel: {path}", flush=True)
    text = generate_from_saved_model(path, [args.prompt], args.length, 0.8, 0, args.seed)[0]
    print("\n----- generated by the SavedModel -----")
    print(text)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="kerazoo", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("list", help="show the models and presets").set_defaults(func=cmd_list)

    train = commands.add_parser("train", help="train a model with model.fit")
    train.add_argument("model", choices=["simple_rnn", "lstm", "gru", "gpt", *SEQ2SEQ_MODELS, "word2vec", *BILM_MODELS])
    train.add_argument("--output", help="the run folder (default runs/<preset or model>)")
    _add_training_arguments(train)
    train.set_defaults(func=cmd_train)

    generate = commands.add_parser(
        "generate", help="generate text (or translate, for seq2seq models) from a run folder or a SavedModel"
    )
    generate.add_argument("source", help="a run folder, a SavedModel version folder, or saved_models/NAME")
    generate.add_argument("--prompt", action="append", help="repeat for a batch of prompts (seq2seq: sources)")
    generate.add_argument("--length", type=int, default=500, help="characters to generate")
    generate.add_argument("--temperature", type=float, default=0.8, help="0 means greedy")
    generate.add_argument("--top-k", type=int, default=0, help="0 means off")
    generate.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass; 1 means off")
    generate.add_argument("--beam-width", type=_positive_int, default=1, help="seq2seq: beam search width")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--checkpoint", choices=["best", "final"], default="best")
    generate.set_defaults(func=cmd_generate)

    schedule = commands.add_parser("schedule", help="plot a learning-rate schedule or a recipe's rate to a PNG")
    schedule.add_argument("name", help="a schedule or an optimizer recipe (see `kerazoo list`)")
    schedule.add_argument("--steps", type=_positive_int, required=True, help="optimizer steps to plot (the run's length)")
    schedule.add_argument("--output", help="the PNG file (default schedule-NAME.png)")
    schedule.add_argument("--learning-rate", type=float, help="the base or peak rate (default: the recipe's)")
    schedule.add_argument("--steps-per-epoch", type=_positive_int, help="needed by schedules that count epochs")
    schedule.add_argument("--log-y", action="store_true", help="a logarithmic rate axis")
    schedule.set_defaults(func=cmd_schedule)

    export = commands.add_parser("export", help="export a run as a SavedModel for TF Serving")
    export.add_argument("run_dir")
    export.add_argument("--name", required=True, help="written to saved_models/NAME/<next version>/")
    export.add_argument("--base-dir", default=DEFAULT_SAVED_MODELS)
    export.add_argument("--checkpoint", choices=["best", "final"], default="best")
    export.add_argument("--beam-width", type=_positive_int, default=1, help="seq2seq: the beam of `translate`")
    export.set_defaults(func=cmd_export)

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
    args = build_parser().parse_args(argv)
    from kerazoo.data.corpora import CorpusUnavailableError

    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, CorpusUnavailableError, RuntimeError) as error:
        print(f"kerazoo {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
