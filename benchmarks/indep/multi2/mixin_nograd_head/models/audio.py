import torch.nn as nn

from .mixins import PoolingHeadMixin


class AudioTagger(PoolingHeadMixin, nn.Module):
    def __init__(self, n_mels=16, dim=32, n_classes=5):
        super().__init__()
        self.frontend = nn.Sequential(
            nn.Conv1d(n_mels, dim, 5, padding=2), nn.BatchNorm1d(dim), nn.ReLU(),
            nn.Conv1d(dim, dim, 3, padding=1), nn.ReLU(),
        )
        self.build_head(dim, n_classes)

    def forward(self, mel):
        feats = self.frontend(mel).transpose(1, 2)
        return self.classify(feats)
