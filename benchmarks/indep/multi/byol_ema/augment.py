import torch


@torch.no_grad()
def augment(x, noise=0.1, drop=0.2):
    out = x.clone()
    out.add_(noise * torch.randn_like(out))
    out.mul_((torch.rand_like(out) > drop).float())
    return out
