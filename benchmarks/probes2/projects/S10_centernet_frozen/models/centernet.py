"""CenterNet-style anchor-free detector head on a frozen backbone (linear-probe style)."""
import torch
import torch.nn as nn


class CenterNet(nn.Module):
    def __init__(self, backbone, num_classes, head_ch=32, freeze_backbone=True):
        super().__init__()
        self.backbone = backbone
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for p in self.backbone.parameters():
                p.requires_grad_(False)
        cin = backbone.out_channels
        self.heatmap = nn.Sequential(nn.Conv2d(cin, head_ch, 3, padding=1), nn.ReLU(), nn.Conv2d(head_ch, num_classes, 1))
        self.wh = nn.Sequential(nn.Conv2d(cin, head_ch, 3, padding=1), nn.ReLU(), nn.Conv2d(head_ch, 2, 1))
        self.offset = nn.Sequential(nn.Conv2d(cin, head_ch, 3, padding=1), nn.ReLU(), nn.Conv2d(head_ch, 2, 1))
        nn.init.constant_(self.heatmap[-1].bias, -2.19)   # prior prob 0.1

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()   # keep BN statistics from the checkpoint
        return self

    def forward(self, images):
        if self.freeze_backbone:
            with torch.no_grad():
                feats = self.backbone(images)
        else:
            feats = self.backbone(images)
        return {"hm": self.heatmap(feats), "wh": self.wh(feats), "reg": self.offset(feats)}
