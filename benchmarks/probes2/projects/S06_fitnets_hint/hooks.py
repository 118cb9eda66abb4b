"""Forward-hook based intermediate feature extraction."""


class FeatureExtractor:
    """Records the outputs of the named submodules on every forward pass.

    >>> fx = FeatureExtractor(model, ["layer2"])
    >>> logits = model(x); feats = fx.features["layer2"]
    """

    def __init__(self, model, layer_names):
        self.features = {}
        self.handles = []
        modules = dict(model.named_modules())
        for name in layer_names:
            self.handles.append(modules[name].register_forward_hook(self._make_hook(name)))

    def _make_hook(self, name):
        def hook(module, inputs, output):
            self.features[name] = output.detach()
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles.clear()
