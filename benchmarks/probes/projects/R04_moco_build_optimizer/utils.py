import torch


@torch.no_grad()
def momentum_update(model):
    for param_q, param_k in zip(model.encoder_q.parameters(), model.encoder_k.parameters()):
        param_k.data.mul_(model.m).add_(param_q.data, alpha=1.0 - model.m)


def two_crops(x, generator=None):
    noise1 = 0.1 * torch.randn(x.shape, generator=generator)
    noise2 = 0.1 * torch.randn(x.shape, generator=generator)
    flip = torch.flip(x, dims=[3])
    return x + noise1, flip + noise2
