import torch
import torch.nn as nn


class DensityCounter(nn.Module):
    """Predicts a density map and returns the (integer) crowd count per image."""

    def __init__(self, in_ch=3, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_ch, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.density = nn.Conv2d(width, 1, 1)

    def forward(self, x):
        dmap = torch.relu(self.density(self.features(x)))
        count = dmap.sum(dim=(1, 2, 3))
        # people are discrete, report an integer count
        count = torch.round(count)
        return count
