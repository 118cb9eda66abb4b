from .backbone import SmallResNet
from .detector import KeypointDetector
