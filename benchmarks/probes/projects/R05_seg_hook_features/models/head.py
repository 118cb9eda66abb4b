import torch.nn as nn
import torch.nn.functional as F


class FPNHead(nn.Module):
    def __init__(self, in_channels, num_classes, dim=16):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, dim, 1) for c in in_channels)
        self.smooth = nn.Conv2d(dim, dim, 3, padding=1)
        self.cls = nn.Conv2d(dim, num_classes, 1)

    def forward(self, feats):
        out = self.lateral[-1](feats[-1])
        for lat, f in zip(reversed(self.lateral[:-1]), reversed(feats[:-1])):
            out = F.interpolate(out, size=f.shape[-2:], mode="nearest") + lat(f)
        return self.cls(F.relu(self.smooth(out)))
