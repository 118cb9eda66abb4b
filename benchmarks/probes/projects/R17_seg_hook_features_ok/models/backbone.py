import torch.nn as nn


def stage(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class MiniResNet(nn.Module):
    """Classification-style backbone; only the stage outputs are used downstream."""

    def __init__(self, width=8):
        super().__init__()
        self.layer1 = stage(3, width, 1)
        self.layer2 = stage(width, width * 2, 2)
        self.layer3 = stage(width * 2, width * 4, 2)
        self.channels = [width, width * 2, width * 4]

    def forward(self, x):
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return x
