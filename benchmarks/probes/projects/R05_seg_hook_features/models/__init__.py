from .backbone import MiniResNet
from .head import FPNHead
