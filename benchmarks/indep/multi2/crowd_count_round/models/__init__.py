from .counter import DensityCounter

MODELS = {"density_counter": DensityCounter}


def build_model(cfg):
    return MODELS[cfg["name"]](**cfg.get("kwargs", {}))
