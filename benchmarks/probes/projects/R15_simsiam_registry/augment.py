import torch


def random_view(x, noise=0.1):
    if torch.rand(()) < 0.5:
        x = torch.flip(x, dims=[3])
    scale = 1.0 + 0.2 * (torch.rand(x.size(0), 1, 1, 1) - 0.5)
    return x * scale + noise * torch.randn_like(x)
