import torch
import torch.nn as nn


class PretrainedBackbone(nn.Module):
    """Stride-4 feature extractor; weights stand in for an ImageNet checkpoint."""

    def __init__(self, width=16, seed=7):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width * 2, 3, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.ReLU(),
            nn.Conv2d(width * 2, width * 2, 3, 1, 1, bias=False), nn.BatchNorm2d(width * 2), nn.ReLU())
        self.out_channels = width * 2
        self._load_checkpoint(seed)

    @torch.no_grad()
    def _load_checkpoint(self, seed):
        gen = torch.Generator().manual_seed(seed)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / m.weight[0].numel()) ** 0.5)

    def forward(self, x):
        return self.body(x)
