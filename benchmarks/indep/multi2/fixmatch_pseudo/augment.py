import torch


def weak(x):
    return torch.flip(x, dims=[3]) if torch.rand(()) < 0.5 else x


def strong(x):
    x = weak(x) + 0.2 * torch.randn_like(x)
    keep = (torch.rand(x.shape[0], 1, x.shape[2], x.shape[3]) > 0.2).float()
    return x * keep
