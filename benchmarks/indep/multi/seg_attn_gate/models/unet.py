import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import AttentionGate


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class AttentionUNet(nn.Module):
    def __init__(self, in_ch=1, n_classes=2, base=8):
        super().__init__()
        self.enc1 = double_conv(in_ch, base)
        self.enc2 = double_conv(base, base * 2)
        self.up = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.gate = AttentionGate(base, base, base // 2)
        self.dec1 = double_conv(base * 2, base)
        self.out = nn.Conv2d(base, n_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        d = self.up(e2)
        skip = self.gate(d, e1)
        d = self.dec1(torch.cat([d, skip], dim=1))
        return self.out(d)
