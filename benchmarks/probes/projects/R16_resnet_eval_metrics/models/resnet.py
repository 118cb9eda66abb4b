import torch.nn as nn

from .blocks import ResidualBlock


class ResNet(nn.Module):
    def __init__(self, depths=(1, 1), widths=(16, 32), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        stages, cin = [], widths[0]
        for i, (d, w) in enumerate(zip(depths, widths)):
            for j in range(d):
                stride = 2 if (i > 0 and j == 0) else 1
                stages.append(ResidualBlock(cin, w, stride))
                cin = w
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(self.pool(x).flatten(1))
