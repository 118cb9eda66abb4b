import torch
import torch.nn as nn

from ops import soft_clip, grad_reverse


class DomainAdaptNet(nn.Module):
    """DANN-style: shared features, label head, domain head through a gradient reversal layer."""

    def __init__(self, in_dim=16, hidden=32, n_classes=3):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.alpha = nn.Parameter(torch.tensor(2.0))
        self.label_head = nn.Linear(hidden, n_classes)
        self.domain_head = nn.Sequential(nn.Linear(hidden, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x, lambd=1.0):
        f = soft_clip(self.features(x), self.alpha)
        return self.label_head(f), self.domain_head(grad_reverse(f, lambd)).squeeze(-1)
