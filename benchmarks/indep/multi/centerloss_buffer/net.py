import torch.nn as nn


class EmbeddingNet(nn.Module):
    def __init__(self, in_dim=20, feat_dim=2, num_classes=4):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(in_dim, 64), nn.PReLU(),
            nn.Linear(64, 32), nn.PReLU(),
            nn.Linear(32, feat_dim),
        )
        self.classifier = nn.Linear(feat_dim, num_classes)

    def forward(self, x):
        feats = self.body(x)
        return feats, self.classifier(feats)
