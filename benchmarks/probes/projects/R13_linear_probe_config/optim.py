import torch


def build_optimizer(model, cfg):
    if cfg.freeze_backbone:
        groups = [{"params": model.head.parameters(), "lr": cfg.lr * cfg.head_lr_scale}]
    else:
        groups = [
            {"params": model.backbone.parameters(), "lr": cfg.lr * 0.1},
            {"params": model.head.parameters(), "lr": cfg.lr * cfg.head_lr_scale},
        ]
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9)
