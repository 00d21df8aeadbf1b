"""SavedModel signatures: the registry that families extend, the export context, and the shared builders.

A signature builder is a function of an `ExportContext` that returns a
`tf.function` with an input signature. Each lives in the `<name>_export.py` of
the folder that owns it and registers itself with `register_signature_builder`:
those written against a protocol in the task bases' folders
(`models/causal_lm/causal_lm_export.py`: `generate_text` serves any model of
the decoding protocol; `models/seq2seq_lm/seq2seq_lm_export.py`:
`translate_text` any encoder-decoder), a family's own in its folder. A family
names the builder of each signature it exports
(`signatures = {"generate": "generate_text", ...}`).

Nothing here imports TensorFlow; the builders do, inside their functions.
"""

from kerazoo.signatures.context import ExportContext
from kerazoo.signatures.context import check_limits
from kerazoo.signatures.context import default_limits
from kerazoo.signatures.context import register_limit
from kerazoo.signatures.registry import build_signatures
from kerazoo.signatures.registry import register_signature_builder
from kerazoo.signatures.registry import signature_builders
from kerazoo.signatures.registry import write_assets

__all__ = [
    "ExportContext", "build_signatures", "check_limits", "default_limits", "register_limit",
    "register_signature_builder", "signature_builders", "write_assets",
]
