"""Fine-tuning recipe helpers: layer-wise lr decay, optimizer, warmup schedule."""
import math

import torch


def layer_id(name, num_layers):
    if name in ("cls_token", "pos_embed") or name.startswith("patch_embed"):
        return 0
    if name.startswith("blocks."):
        return int(name.split(".")[1]) + 1
    return num_layers + 1


def param_groups_lrd(model, base_lr, weight_decay=0.05, layer_decay=0.75):
    num_layers = len(model.blocks)
    scales = [layer_decay ** (num_layers + 1 - i) for i in range(num_layers + 2)]
    groups = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        lid = layer_id(name, num_layers)
        no_wd = p.ndim == 1 or name in ("cls_token", "pos_embed")
        key = (lid, no_wd)
        if key not in groups:
            groups[key] = {"params": [], "lr": base_lr * scales[lid], "weight_decay": 0.0 if no_wd else weight_decay}
        groups[key]["params"].append(p)
    return list(groups.values())


def warmup_cosine(optimizer, warmup, total):
    def fn(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, fn)


def setup_finetune(model, cfg):
    """Return (model, optimizer, scheduler) ready for fine-tuning on the target task."""
    optimizer = torch.optim.AdamW(param_groups_lrd(model, cfg["lr"], cfg["weight_decay"], cfg["layer_decay"]),
                                  lr=cfg["lr"])
    if model.num_classes != cfg["num_classes"]:
        model.reset_classifier(cfg["num_classes"])
    scheduler = warmup_cosine(optimizer, cfg["warmup_steps"], cfg["steps"])
    return model, optimizer, scheduler
