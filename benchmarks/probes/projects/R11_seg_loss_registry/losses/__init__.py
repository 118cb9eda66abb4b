from .registry import LOSSES, build_loss, register_loss
from . import segmentation  # noqa: F401  (registers the losses)
