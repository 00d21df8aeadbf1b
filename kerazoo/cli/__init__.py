"""The `kerazoo` command: list, train, generate, translate, embed, evaluate, export, schedule, serve, quickstart.

The command is built from the registry of families (`kerazoo.models.registry`):
`kerazoo train MODEL` takes the flags that MODEL's family declares, and a flag
of another family is refused, naming the flag and the model. Each subcommand
is a thin call into the functions the recipes use: `kerazoo.training.train`,
`kerazoo.generation.generate_text`, `kerazoo.export.export_run`.

- `parser.py`: the parser; `options.py`: family flags and command options;
- `commands.py`: list, train, schedule, evaluate, export, serve;
- `using.py`: generate, translate, embed; `quickstart.py`: the main job;
- `main.py`: `main` and the console entry point `run`; `native_logs.py`: TensorFlow's C++ log filter.
"""

from kerazoo.cli.main import main
from kerazoo.cli.main import run
from kerazoo.cli.parser import build_parser

__all__ = ["build_parser", "main", "run"]
