import torch


def make_domains(n=128, in_dim=20, num_classes=3, shift=1.5, seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(num_classes, in_dim, generator=g) * 2
    ys = torch.randint(0, num_classes, (n,), generator=g)
    src = centers[ys] + torch.randn(n, in_dim, generator=g)
    yt = torch.randint(0, num_classes, (n,), generator=g)
    tgt = centers[yt] + torch.randn(n, in_dim, generator=g) + shift
    return (src, ys), (tgt, yt)
