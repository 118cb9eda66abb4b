_REGISTRY = {}


def register_loss(name):
    def deco(fn):
        _REGISTRY[name] = fn
        return fn
    return deco


def build_loss(name, **kwargs):
    try:
        return _REGISTRY[name](**kwargs)
    except KeyError:
        raise ValueError(f"unknown loss {name}; choose from {sorted(_REGISTRY)}") from None
