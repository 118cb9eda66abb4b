import numpy as np
import torch
import torch.nn.functional as F


def regression_loss(p, z):
    """BYOL loss: 2 - 2 cos(p, sg(z))."""
    p = F.normalize(p, dim=-1)
    z = F.normalize(z.detach(), dim=-1)
    return 2 - 2 * (p * z).sum(dim=-1)


def symmetric_byol_loss(preds, targets):
    (p1, p2), (z1, z2) = preds, targets
    return (regression_loss(p1, z2) + regression_loss(p2, z1)).mean()


@torch.no_grad()
def embedding_stats(z):
    """Collapse monitor: per-dim std of normalised embeddings (1/sqrt(d) when healthy)."""
    zn = F.normalize(z, dim=-1).cpu().numpy()
    return {"std": float(np.mean(np.std(zn, axis=0))), "norm": z.norm(dim=-1).mean().item()}
