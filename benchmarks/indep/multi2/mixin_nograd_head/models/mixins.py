import torch
import torch.nn as nn


class PoolingHeadMixin:
    """Shared attention pooling + classification head for sequence encoders."""

    def build_head(self, dim, n_classes):
        self.attn = nn.Linear(dim, 1)
        self.head = nn.Linear(dim, n_classes)

    def pool(self, feats):
        w = torch.softmax(self.attn(feats).squeeze(-1), dim=1)
        return (w.unsqueeze(-1) * feats).sum(dim=1)

    def classify(self, feats):
        pooled = self.pool(feats)
        with torch.no_grad():
            logits = self.head(pooled)
        return logits
