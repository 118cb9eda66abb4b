"""Small keyword-spotting model: frame MLP -> temporal conv -> attentive pooling -> classifier."""
import torch
import torch.nn as nn

from ops import FusedLinear


class AttentivePooling(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.score = FusedLinear(dim, 1)

    def forward(self, x):                     # x: (B, T, D)
        w = torch.softmax(self.score(x), dim=1)
        return (w * x).sum(dim=1)


class KeywordSpotter(nn.Module):
    def __init__(self, n_mels=20, hidden=32, num_keywords=6):
        super().__init__()
        self.frontend = nn.Sequential(FusedLinear(n_mels, hidden), nn.ReLU(), FusedLinear(hidden, hidden), nn.ReLU())
        self.tconv = nn.Conv1d(hidden, hidden, kernel_size=5, padding=2, groups=hidden)
        self.norm = nn.LayerNorm(hidden)
        self.pool = AttentivePooling(hidden)
        self.classifier = FusedLinear(hidden, num_keywords)

    def forward(self, feats):                 # feats: (B, T, n_mels) log-mel frames
        x = self.frontend(feats)
        x = x + self.tconv(x.transpose(1, 2)).transpose(1, 2)
        x = self.norm(x)
        return self.classifier(self.pool(x))
