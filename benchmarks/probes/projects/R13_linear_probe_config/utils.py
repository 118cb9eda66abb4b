def set_requires_grad(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


def count_trainable(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def top1(logits, target):
    return (logits.argmax(dim=1) == target).float().mean().item()
