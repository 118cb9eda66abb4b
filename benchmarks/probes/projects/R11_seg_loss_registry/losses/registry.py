LOSSES = {}


def register_loss(name):
    def deco(fn):
        if name in LOSSES:
            raise KeyError(f"loss {name!r} already registered")
        LOSSES[name] = fn
        return fn
    return deco


def build_loss(name, **kwargs):
    if name not in LOSSES:
        raise KeyError(f"unknown loss {name!r}; available: {sorted(LOSSES)}")
    factory = LOSSES[name]
    return factory(**kwargs)
