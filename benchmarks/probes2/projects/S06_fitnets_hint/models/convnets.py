import torch.nn as nn


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class ConvNet(nn.Module):
    """stem -> layer1 -> layer2 -> layer3 -> pool -> fc."""

    def __init__(self, widths, num_classes=10):
        super().__init__()
        self.stem = conv_bn(3, widths[0])
        self.layer1 = conv_bn(widths[0], widths[1], stride=2)
        self.layer2 = conv_bn(widths[1], widths[2], stride=2)
        self.layer3 = conv_bn(widths[2], widths[3], stride=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3], num_classes)
        self.widths = widths

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(self.pool(x).flatten(1))

    def hint_parameters(self, guided="layer2"):
        """Parameters up to and including the guided layer (FitNets stage 1)."""
        for name in ("stem", "layer1", "layer2", "layer3"):
            yield from getattr(self, name).parameters()
            if name == guided:
                return


def build_teacher(num_classes=10):
    return ConvNet((16, 32, 64, 64), num_classes)


def build_student(num_classes=10):
    return ConvNet((8, 12, 16, 16), num_classes)
