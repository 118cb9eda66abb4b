import math

import torch


def sample_real(n):
    """Mixture of 8 gaussians on a ring (classic toy GAN target)."""
    k = torch.randint(0, 8, (n,)).float()
    angle = 2 * math.pi * k / 8
    centers = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1) * 2.0
    return centers + 0.05 * torch.randn(n, 2)


@torch.no_grad()
def sample_fake(generator, n):
    z = torch.randn(n, generator.z_dim)
    return generator(z)


def mode_coverage(samples, radius=0.5):
    angle = torch.arange(8).float() * 2 * math.pi / 8
    centers = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1) * 2.0
    dist = torch.cdist(samples, centers)
    return int((dist.min(dim=0).values < radius).sum().item())
