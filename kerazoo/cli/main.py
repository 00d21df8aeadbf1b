"""`kerazoo`'s entry points: `main(argv)` runs one command, `run()` is the console script."""

import os
import sys

from kerazoo.cli.native_logs import NativeLogFilter
from kerazoo.cli.options import refuse_unknown
from kerazoo.cli.parser import build_parser


def main(argv=None):
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    refused = refuse_unknown(parser, args, unknown)
    if refused is not None:
        return refused
    from kerazoo.data.corpora import CorpusUnavailableError

    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, CorpusUnavailableError, RuntimeError, TypeError) as error:
        print(f"kerazoo {args.command}: error: {error}", file=sys.stderr)
        return 2


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
