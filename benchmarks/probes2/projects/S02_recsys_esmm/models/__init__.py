from .esmm import ESMM
from .towers import MLPTower, FeatureEmbedding

MODELS = {"esmm": ESMM}


def build_model(name, **kwargs):
    return MODELS[name](**kwargs)
