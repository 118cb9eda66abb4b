from .registry import build_loss, register_loss
from . import ssl  # noqa: F401
