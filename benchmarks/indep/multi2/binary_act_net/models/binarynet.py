import torch.nn as nn

from .layers import BinaryBlock
from .registry import register


@register("binarynet")
class BinaryNet(nn.Module):
    def __init__(self, in_dim=64, hidden=128, n_classes=10, depth=2):
        super().__init__()
        dims = [in_dim] + [hidden] * depth
        self.features = nn.Sequential(*[BinaryBlock(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.classifier = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.classifier(self.features(x.flatten(1)))
