import torch.nn.functional as F

from .registry import register_loss


def negative_cosine(p, z):
    z = z.detach()
    return -F.cosine_similarity(p, z, dim=-1).mean()


@register_loss("simsiam")
def simsiam_loss(**_):
    def loss_fn(p1, p2, z1, z2):
        return 0.5 * negative_cosine(p1, z2) + 0.5 * negative_cosine(p2, z1)
    return loss_fn


@register_loss("byol")
def byol_loss(**_):
    def loss_fn(p1, p2, z1, z2):
        p1, p2 = F.normalize(p1, dim=-1), F.normalize(p2, dim=-1)
        z1, z2 = F.normalize(z1.detach(), dim=-1), F.normalize(z2.detach(), dim=-1)
        return (2 - 2 * (p1 * z2).sum(-1)).mean() + (2 - 2 * (p2 * z1).sum(-1)).mean()
    return loss_fn
