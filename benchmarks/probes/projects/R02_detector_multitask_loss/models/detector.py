import torch
import torch.nn as nn


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class TinyDetector(nn.Module):
    """Single-object detector: one class label and one box per image."""

    def __init__(self, num_classes=4, width=16):
        super().__init__()
        self.backbone = nn.Sequential(
            conv_bn(3, width),
            conv_bn(width, width * 2, stride=2),
            conv_bn(width * 2, width * 2, stride=2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.cls_head = nn.Linear(width * 2, num_classes)
        self.box_head = nn.Sequential(
            nn.Linear(width * 2, width),
            nn.ReLU(inplace=True),
            nn.Linear(width, 4),
        )

    def forward(self, images):
        feats = self.backbone(images)
        return {
            "logits": self.cls_head(feats),
            "boxes": self.box_head(feats).sigmoid(),
        }
