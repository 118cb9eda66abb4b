import torch
import torch.nn as nn


def build_backbone(out_dim=32):
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, out_dim, 3, padding=1), nn.BatchNorm2d(out_dim), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


class FrozenFeatureExtractor(nn.Module):
    """Wraps a pretrained backbone for linear evaluation: no gradients, eval-mode BN."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.backbone.requires_grad_(False)
        self.backbone.eval()

    def train(self, mode=True):
        # keep BN statistics frozen even when the caller switches to train mode
        super().train(mode)
        self.backbone.eval()
        return self

    @torch.no_grad()
    def forward(self, x):
        return self.backbone(x)
