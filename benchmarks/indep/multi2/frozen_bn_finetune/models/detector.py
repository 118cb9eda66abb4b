import torch.nn as nn


class KeypointDetector(nn.Module):
    def __init__(self, backbone, n_keypoints=4):
        super().__init__()
        self.backbone = backbone
        ch = backbone.out_channels
        self.head = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(), nn.Conv2d(ch, n_keypoints, 1))

    def forward(self, x):
        return self.head(self.backbone(x))
