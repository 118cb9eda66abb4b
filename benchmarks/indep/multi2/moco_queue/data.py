import torch


def two_views(x, noise=0.1):
    v1 = x + noise * torch.randn_like(x)
    v2 = x * (1 + noise * torch.randn_like(x))
    return v1, v2
