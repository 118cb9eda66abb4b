import torch
import torch.nn as nn


class LabelSmoothingLoss(nn.Module):
    def __init__(self, n_classes, smoothing=0.1, ignore_index=0):
        super().__init__()
        self.n = n_classes
        self.eps = smoothing
        self.ignore_index = ignore_index

    def forward(self, logits, target):
        logp = logits.log_softmax(dim=-1)
        with torch.no_grad():
            true_dist = torch.full_like(logp, self.eps / (self.n - 2))
            true_dist.scatter_(-1, target.unsqueeze(-1), 1.0 - self.eps)
            true_dist[..., self.ignore_index] = 0
            pad = target.eq(self.ignore_index)
            true_dist[pad] = 0
        loss = -(true_dist * logp).sum(-1)
        return loss.sum() / (~pad).sum().clamp(min=1)
