from .registry import build_model, register  # noqa: F401
from . import binarynet  # noqa: F401  (registers models)
