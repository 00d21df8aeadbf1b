"""`python -m kerazoo.cli`: the `kerazoo` command."""

import sys

from kerazoo.cli.main import run

sys.exit(run())
