import torch.nn as nn

from utils import set_requires_grad


class LinearProbe(nn.Module):
    def __init__(self, backbone, num_classes, freeze_backbone=True):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_dim, num_classes)
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            set_requires_grad(self.backbone, False)

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.backbone(x))
