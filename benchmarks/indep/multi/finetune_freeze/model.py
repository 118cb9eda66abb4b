import torch.nn as nn


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SmallResNetish(nn.Module):
    """Tiny CNN standing in for a pretrained backbone + new classification head."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.backbone = nn.Sequential(conv_block(3, 8), conv_block(8, 16))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(16, num_classes)

    def forward(self, x):
        feats = self.pool(self.backbone(x)).flatten(1)
        return self.head(feats)
