_REGISTRY = {}


def register(name):
    def deco(cls):
        _REGISTRY[name] = cls
        return cls
    return deco


def build_model(cfg):
    cfg = dict(cfg)
    return _REGISTRY[cfg.pop("type")](**cfg)
