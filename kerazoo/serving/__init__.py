"""`kerazoo serve`: a TF-Serving-compatible REST server, with streaming and a playground (docs/serving.md).

Imports Starlette, uvicorn and prometheus-client (the `serve` extra);
TensorFlow only inside functions.
"""

from kerazoo.serving.app import create_app
from kerazoo.serving.app import serve
