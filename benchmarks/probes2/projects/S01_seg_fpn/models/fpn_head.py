import torch.nn as nn

from .base import BaseDecodeHead


class ConvModule(nn.Sequential):
    def __init__(self, cin, cout, k=3):
        super().__init__(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class FPNHead(BaseDecodeHead):
    """Lateral 1x1 projections on every level, fused by a 3x3 conv."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lateral = ConvModule(sum(self.in_channels), self.channels, k=1)
        self.fuse = ConvModule(self.channels, self.channels, k=3)

    def forward(self, feats):
        x = self._transform_inputs(feats)
        x = self.fuse(self.lateral(x))
        return self.cls_seg(x)
