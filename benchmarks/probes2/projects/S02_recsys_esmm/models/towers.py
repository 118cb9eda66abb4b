import torch
import torch.nn as nn


class FeatureEmbedding(nn.Module):
    """One embedding table per sparse field, outputs concatenated field embeddings."""

    def __init__(self, field_dims, embed_dim):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(n, embed_dim) for n in field_dims)
        for t in self.tables:
            nn.init.normal_(t.weight, std=0.05)

    @property
    def output_dim(self):
        return len(self.tables) * self.tables[0].embedding_dim

    def forward(self, x):
        return torch.cat([t(x[:, i]) for i, t in enumerate(self.tables)], dim=1)


class MLPTower(nn.Module):
    def __init__(self, in_dim, hidden=(32, 16), dropout=0.0):
        super().__init__()
        layers, d = [], in_dim
        for h in hidden:
            layers += [nn.Linear(d, h), nn.ReLU(), nn.Dropout(dropout)]
            d = h
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(-1)
