"""The `Family`: one object per family folder that answers every question the shared code would otherwise ask with an `if`.

A family is one folder, `kerazoo/models/<family>/`: its model classes and
builders, its training configurations, its data pipeline (`<family>_data.py`),
its SavedModel signatures (`<family>_export.py`) and one `Family` object. The
object is three small protocols, each with one purpose, as KerasHub keeps its
backbone, task and preprocessor apart:

- `TrainingProtocol` (`training_protocol.py`): what it trains: configurations,
  flags, data, build, compile, fit, evaluate, its vocabulary type;
- `ExportProtocol` (`export_protocol.py`): what it exports and serves:
  capabilities, signatures, the served object, per-command options;
- `ModelCardProtocol` (`card_protocol.py`): what it documents: the card's
  measure, the model's size, an example.

`kerazoo.models.registry` lists the families; the runner, the exporter, the
server and the CLI look everything up there by the family's name, which every
run folder's `config.json` and every SavedModel's `assets/kerazoo.json` record.
"""

from kerazoo.models.card_protocol import ModelCardProtocol
from kerazoo.models.checks import DISTRIBUTE_CHOICES  # noqa: F401  (the names families import from here)
from kerazoo.models.checks import check_choice  # noqa: F401
from kerazoo.models.checks import check_distribute  # noqa: F401
from kerazoo.models.checks import check_integers  # noqa: F401
from kerazoo.models.checks import check_optimizer  # noqa: F401
from kerazoo.models.checks import check_positive  # noqa: F401
from kerazoo.models.checks import check_time_budget  # noqa: F401
from kerazoo.models.export_protocol import CAPABILITIES  # noqa: F401
from kerazoo.models.export_protocol import EMBED  # noqa: F401
from kerazoo.models.export_protocol import GENERATE  # noqa: F401
from kerazoo.models.export_protocol import TRANSLATE  # noqa: F401
from kerazoo.models.export_protocol import ExportProtocol
from kerazoo.models.flags import COMMON_FLAGS  # noqa: F401
from kerazoo.models.flags import Flag  # noqa: F401
from kerazoo.models.flags import common_flags  # noqa: F401
from kerazoo.models.flags import non_negative_float  # noqa: F401
from kerazoo.models.flags import non_negative_int  # noqa: F401
from kerazoo.models.flags import positive_int  # noqa: F401
from kerazoo.models.training_protocol import RunData  # noqa: F401
from kerazoo.models.training_protocol import TrainingProtocol
from kerazoo.models.training_protocol import bits  # noqa: F401
from kerazoo.models.training_protocol import read_json  # noqa: F401
from kerazoo.models.training_protocol import recipe_optimizer  # noqa: F401
from kerazoo.models.training_protocol import sparse_logits_loss  # noqa: F401


class Family(TrainingProtocol, ExportProtocol, ModelCardProtocol):
    """Base class of every family: the three protocols in one registry entry."""

    def __repr__(self):
        return f"<Family {self.name}: {', '.join(self.models)}>"
