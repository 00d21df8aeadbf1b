"""SavedModel signatures: the registry that families extend, the export context, and the shared builders.

A signature builder is a function of an `ExportContext` that returns a
`tf.function` with an input signature. Builders written against a protocol
(`generate_text` serves any model of the decoding protocol, `translate_text`
any encoder-decoder) live here, in `shared.py`; a builder that serves one
family lives in that family's `<family>_export.py` and registers itself with
`register_signature_builder`. A family names the builder of each signature it
exports (`signatures = {"generate": "generate_text", ...}`).

TensorFlow is imported inside the builders only, so `import kerazoo` needs none.
"""

from kerazoo.signatures.context import ExportContext
from kerazoo.signatures.context import check_limits
from kerazoo.signatures.context import default_limits
from kerazoo.signatures.context import register_limit
from kerazoo.signatures.registry import build_signatures
from kerazoo.signatures.registry import register_signature_builder
from kerazoo.signatures.registry import signature_builders
from kerazoo.signatures.registry import write_assets
from kerazoo.signatures import shared  # noqa: F401,E402  (registers the shared builders)

__all__ = [
    "ExportContext", "build_signatures", "check_limits", "default_limits", "register_limit",
    "register_signature_builder", "signature_builders", "write_assets",
]
