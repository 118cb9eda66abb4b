import torch.nn as nn

from ops import GradientReversal


class DANN(nn.Module):
    def __init__(self, in_dim=20, hidden=32, num_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
        )
        self.classifier = nn.Linear(hidden, num_classes)
        self.grl = GradientReversal()
        self.domain_classifier = nn.Sequential(
            nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Linear(hidden // 2, 1),
        )

    def forward(self, x, alpha=None):
        f = self.features(x)
        if alpha is not None:
            self.grl.alpha = alpha
        return self.classifier(f), self.domain_classifier(self.grl(f)).squeeze(-1)
