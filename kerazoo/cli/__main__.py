"""`python -m kerazoo.cli`: the `kerazoo` command."""

import sys

from kerazoo.cli.main import run

if __name__ == "__main__":
    sys.exit(run())
