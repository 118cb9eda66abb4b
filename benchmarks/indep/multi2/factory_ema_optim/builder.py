import copy

import torch

from networks import ARCHS


class ModelEMA:
    def __init__(self, model, decay=0.99):
        self.module = model
        self.decay = decay
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for e, m in zip(self.module.parameters(), model.parameters()):
            e.mul_(self.decay).add_(m.detach(), alpha=1 - self.decay)


def build_optimizer(params, cfg):
    if cfg["optim"] == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=0.9)
    return torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=cfg.get("wd", 0.0))


def build(cfg):
    model = ARCHS[cfg["arch"]](**cfg.get("arch_kwargs", {}))
    ema_model = copy.deepcopy(model)
    optimizer = build_optimizer(ema_model.parameters(), cfg)
    ema = ModelEMA(ema_model, decay=cfg.get("ema_decay", 0.99))
    return model, optimizer, ema
