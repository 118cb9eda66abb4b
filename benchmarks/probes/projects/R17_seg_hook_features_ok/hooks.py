class FeatureExtractor:
    """Collect intermediate outputs of named submodules via forward hooks."""

    def __init__(self, model, layer_names, track_stats=True):
        self.layer_names = list(layer_names)
        self.features = {}
        self.stats = {}
        self.track_stats = track_stats
        self.handles = []
        modules = dict(model.named_modules())
        for name in self.layer_names:
            self.handles.append(modules[name].register_forward_hook(self._make_hook(name)))

    def _make_hook(self, name):
        def hook(module, inputs, output):
            self.features[name] = output
            if self.track_stats:
                act = output.detach()
                self.stats[name] = (act.mean().item(), (act > 0).float().mean().item())
        return hook

    def __call__(self, model, x):
        self.features.clear()
        model(x)
        return [self.features[n] for n in self.layer_names]

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles.clear()
