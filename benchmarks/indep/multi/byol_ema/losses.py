import torch.nn.functional as F


def regression_loss(p, z):
    """BYOL loss: 2 - 2 cos(p, sg(z))."""
    p = F.normalize(p, dim=-1)
    z = F.normalize(z.detach(), dim=-1)
    return 2 - 2 * (p * z).sum(dim=-1)


def byol_loss(p1, p2, z1, z2):
    return (regression_loss(p1, z2) + regression_loss(p2, z1)).mean()
