import torch.nn as nn


class MLPClassifier(nn.Module):
    def __init__(self, in_dim=20, hidden=64, n_classes=4):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.GELU(), nn.LayerNorm(hidden), nn.Linear(hidden, n_classes)
        )

    def forward(self, x):
        return self.net(x)


class ResMLP(nn.Module):
    def __init__(self, in_dim=20, hidden=64, n_classes=4):
        super().__init__()
        self.inp = nn.Linear(in_dim, hidden)
        self.block = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU())
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        h = self.inp(x)
        h = h + self.block(h)
        return self.out(h)


ARCHS = {"mlp": MLPClassifier, "resmlp": ResMLP}
