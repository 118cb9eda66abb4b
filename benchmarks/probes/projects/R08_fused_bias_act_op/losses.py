import torch


def moment_matching_loss(w, target_mean, target_std):
    mean = w.mean(dim=0)
    std = w.std(dim=0)
    return (mean - target_mean).pow(2).mean() + (std - target_std).pow(2).mean()


def path_length_penalty(w, z):
    noise = torch.randn_like(w)
    grad, = torch.autograd.grad((w * noise).sum(), z, create_graph=True)
    return grad.pow(2).sum(1).mean()
