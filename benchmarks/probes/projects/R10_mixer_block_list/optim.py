import torch


def param_groups_weight_decay(model, weight_decay=0.05):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim <= 1 or name.endswith(".bias"):
            no_decay.append(p)
        else:
            decay.append(p)
    return [
        {"params": no_decay, "weight_decay": 0.0},
        {"params": decay, "weight_decay": weight_decay},
    ]


def build_optimizer(model, lr=1e-3, weight_decay=0.05):
    return torch.optim.AdamW(param_groups_weight_decay(model, weight_decay), lr=lr)
