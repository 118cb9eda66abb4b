import math

import torch


def build_optimizer(model, lr=0.03, momentum=0.9, weight_decay=1e-4):
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def adjust_learning_rate(optimizer, epoch, base_lr, epochs):
    lr = base_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr
