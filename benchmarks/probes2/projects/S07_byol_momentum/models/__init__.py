from .byol import BYOL
from .encoder import SmallConvEncoder

__all__ = ["BYOL", "SmallConvEncoder"]
