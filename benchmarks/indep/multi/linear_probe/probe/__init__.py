from .backbone import build_backbone, FrozenFeatureExtractor
from .evaluate import evaluate
